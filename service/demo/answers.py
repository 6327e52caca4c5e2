"""What the demo's simulated people answer to each kind of email they receive."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from service.demo.mail_client import plain_text
from service.demo.people import Person

GOALS = (
    "Submit a first-author abstract to the annual meeting",
    "Decide between a clinical and a research fellowship track",
    "Draft the specific aims of a career development award",
    "Build a network outside my own institution",
    "Learn to run a clinical trial from protocol to close-out",
)
TASKS = (
    "send my CV to my mentor",
    "draft the specific aims page",
    "read the two papers we discussed",
    "email the biostatistics core about a consult",
)
AGENDA_TOPICS = (
    "Feedback on my abstract draft",
    "Which fellowship programs to apply to",
    "How to find a second mentor for statistics",
    "Balancing clinic time with research",
    "Authorship on the cohort paper",
    "Preparing for my first grant submission",
)
# "Tuesday 9 December 2026, 15:00" at the start of a meeting's label, in the reader's zone.
_WHEN = re.compile(r"(\d{1,2}) ([A-Z][a-z]+) (\d{4}), (\d{2}):(\d{2})")


@dataclass
class Answers:
    """What each person writes back, and what they remember of what they wrote."""

    rng: random.Random
    # Mentors whose mentee struggles: they ask for a performance conversation, once.
    concerned: set[str] = field(default_factory=set)
    talked: set[str] = field(default_factory=set)
    # Who has answered an agreement request (a second one means the terms changed).
    answered: set[str] = field(default_factory=set)

    def answer(self, person: Person, kind: str, message: EmailMessage) -> str | None:
        """The body of the reply, or None when the person lets this email be."""
        if person.persona == "silent" and kind != "agreement_request":
            return None  # agreed, and has not answered anything since
        write = _WRITERS.get(kind)
        return write(self, person, message) if write is not None else None

    def reschedules(self, subject: str) -> bool:
        """Now and then something comes up and a new meeting has to move."""
        return not subject.startswith("Updated") and self.rng.random() < 0.04

    def invitation(self, person: Person, message: EmailMessage) -> str | None:
        """To the next working day, an hour later, in the reader's own time."""
        found = _WHEN.search(str(message["Subject"]))
        if found is None:
            return None
        day, month, year, hour, minute = found.groups()
        when = datetime.strptime(f"{day} {month} {year}", "%d %B %Y") + timedelta(days=1)
        when += timedelta(days=max(0, 7 - when.weekday()) if when.weekday() >= 5 else 0)
        new_hour = min(int(hour) + 1, 18)
        return (
            "Something came up, sorry.\n\n"
            f"reschedule: {when:%a %b} {when.day} {when.year} {new_hour}:{minute}"
        )

    def agenda_request(self, person: Person, message: EmailMessage) -> str | None:
        # Most mentees manage up and send topics; some forget.
        if person.persona == "slow" or self.rng.random() < 0.2:
            return None
        topics = self.rng.sample(AGENDA_TOPICS, k=self.rng.randint(1, 3))
        return "Hi,\n\n" + "\n".join(topics)

    def after_meeting(self, person: Person, message: EmailMessage) -> str | None:
        if self.rng.random() >= 0.7:
            return None
        task = self.rng.choice(TASKS)
        when = self.rng.choice(("Friday", "next Tuesday", "in two weeks", "Dec 20"))
        return (
            f"task: {task} by {when}\n\nIt was a really useful meeting, I am still learning a lot."
        )

    def task_reminder(self, person: Person, message: EmailMessage) -> str | None:
        # The prompt finish what they take on; the others, now and then.
        if not (person.persona == "prompt" or self.rng.random() < 0.5):
            return None
        found = re.search(r"reply with done (\d+)", plain_text(message))
        return f"done {found.group(1)}" if found else None

    def understood(self, person: Person, message: EmailMessage) -> str | None:
        # An answer that brought the day's reminder along is read as the reminder.
        return self.task_reminder(person, message)

    def reevaluation(self, person: Person, message: EmailMessage) -> str | None:
        if person.role != "mentee":
            return None
        # Now and then a pair decides their goals are met, and phases out gracefully.
        return self.rng.choice(
            ("keep", "More often", "less often", "frequency: every 3 weeks", "phase out")
        )

    def mentoring_map(self, person: Person, message: EmailMessage) -> str | None:
        if self.rng.random() >= 0.6:
            return None
        mentor = partner_name(message)
        return (
            f"Career guidance: {mentor}\nResearch or clinical skills: my lab head\n"
            "Sponsorship: nobody yet\nEmotional support: my family\n"
            "Intellectual community: the journal club"
        )

    def mentor_checkin(self, person: Person, message: EmailMessage) -> str | None:
        if person.email not in self.concerned - self.talked:
            return None
        # The guide: talk early, in private, while the problem is small.
        self.talked.add(person.email)
        return (
            "Drafts keep reaching me at the last minute; time for a proper talk.\n\n"
            "performance conversation"
        )

    def performance_summary_request(self, person: Person, message: EmailMessage) -> str:
        sent = message["Date"].datetime
        soon, later = sent + timedelta(days=14), sent + timedelta(days=35)
        return (
            "Summary: We talked about drafts reaching me late and what gets in the way.\n"
            "Expectation not met: drafts reach me a week before each deadline\n"
            "Incidents: the abstract came on its due day; the aims page two days late\n"
            "Action item: share a writing timeline for the next two deadlines "
            f"by {soon:%b} {soon.day}\n"
            f"Action item: block two writing mornings a week by {later:%b} {later.day}"
        )

    def performance_followup_draft(self, person: Person, message: EmailMessage) -> str:
        return "send"

    def performance_followup(self, person: Person, message: EmailMessage) -> str | None:
        return "confirm" if person.role == "mentee" else None

    def performance_checkback(self, person: Person, message: EmailMessage) -> str | None:
        if person.role != "mentor":
            return None
        return self.rng.choice(("Yes, much better.", "No, not really."))

    def closure(self, person: Person, message: EmailMessage) -> str:
        return (
            "Thank you for everything.\n\n"
            "I met most of my goals, and I know who to ask about the rest."
        )

    def agreement_request(self, person: Person, message: EmailMessage) -> str:
        lines: list[str] = []
        # A second request means the partner changed the terms: this time just agree.
        already_asked = person.email in self.answered
        self.answered.add(person.email)
        if person.role == "mentee" and not already_asked:
            goals = self.rng.sample(GOALS, k=2)
            lines += [f"Goal 1: {goals[0]}", f"Goal 2: {goals[1]}"]
        if person.role == "mentor" and person.persona == "changes_terms" and not already_asked:
            lines.append("Frequency: every 2 weeks")
            lines.append("Meeting length: 45 minutes")
        lines.append("I agree")
        greeting = "Thanks, looks good." if person.style != "outlook" else "Hello,"
        return greeting + "\n\n" + "\n".join(lines)


def partner_name(message: EmailMessage) -> str:
    """The mentor named in a mentee's email ("… is one mentor")."""
    found = re.search(r"^(.+?) is one mentor", plain_text(message), re.MULTILINE)
    return found.group(1) if found else "my mentor"


# One writer per kind of email the people answer; every other kind they read and let be.
_WRITERS: dict[str, Callable[[Answers, Person, EmailMessage], str | None]] = {
    "invitation": Answers.invitation,
    "agenda_request": Answers.agenda_request,
    "after_meeting": Answers.after_meeting,
    "task_reminder": Answers.task_reminder,
    "understood": Answers.understood,
    "reevaluation": Answers.reevaluation,
    "mentoring_map": Answers.mentoring_map,
    "mentor_checkin": Answers.mentor_checkin,
    "performance_summary_request": Answers.performance_summary_request,
    "performance_followup_draft": Answers.performance_followup_draft,
    "performance_followup": Answers.performance_followup,
    "performance_checkback": Answers.performance_checkback,
    "closure": Answers.closure,
    "agreement_request": Answers.agreement_request,
}
ANSWERED_KINDS = frozenset(_WRITERS)
