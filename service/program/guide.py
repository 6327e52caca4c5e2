"""The guide's checklists and questions that mentormail puts into its emails.

Where the guide speaks (its step-by-step mentee guide, Section 6), its own words are carried,
shortened only where it points at pages an email does not have; the emails say "the guide"
only of those. The mentoring map's kinds of help, the mentor's reflection questions and the
advice on a mentoring team are ours, and the emails say so."""

from __future__ import annotations

import re

# Section 6, "Preparing for the first meeting", in the guide's words.
FIRST_MEETING_CHECKLIST = (
    "Clarify your values: what motivates you?",
    "Identify knowledge and skill gaps: what are you struggling with professionally that your "
    "mentor can help? Jot these down.",
    "Define your goals and a timeline to make it happen.",
    "If you are hoping to start research projects with your mentor, what are you interested "
    "in? Do you already have a research question? What have you already done? Be sure you "
    "are well prepared to discuss.",
    "If this is someone who you are considering as a career mentor, what aspect of their "
    "career interests you? What have you already done? Be sure you are well prepared to "
    "discuss.",
    "Take the initiative to set up the first meeting and \u201cmanage up.\u201d Be responsive to "
    "communication (in most cases, this will be email).",
    "Spruce up your CV and share with your mentor.",
    "Use the questions above to create an agenda for the meeting.",
)

# Section 6, "During the first meeting", in the guide's words.
DURING_FIRST_MEETING = (
    "Be punctual and be cognizant of the time set aside for the meeting.",
    "Follow your agenda, but be flexible in case the conversation shifts.",
    "Share your background, values, and needs; share your CV in advance of the meeting.",
    "Ask questions, actively listen, avoid distractions (from phones, watches, email).",
    "Create a plan for future meetings: how often will you meet? Set a date for the next "
    "meeting. Will you correspond in between and how (email, text, Teams/Zoom, etc.)?",
    "Send a thank you message after the meeting.",
)

# Section 6, "Example talking points during your first meeting (depending on your level of
# training)", every one, in the guide's words.
FIRST_MEETING_TALKING_POINTS = (
    "What led you to this specialty or research focus? How did you decide this field was the "
    "right one for you? If you could go back in time, is there anything that you know now "
    "that might have influenced your decision one way or another?",
    "When you were in medical school/residency/fellowship/postdoc/junior faculty, what did "
    "you do to engage faculty at your institution to build your network?",
    "When you were a medical student/resident/fellow/postdoc/junior faculty, what kinds of "
    "research projects did you develop and/or participate in? How did you arrange these "
    "opportunities?",
    "What advice do you have about how to start a research project?",
    "Do you have ongoing projects with opportunities that I can partake in?",
    "Do you recommend putting all efforts into forging a single research project or to "
    "simultaneously develop a secondary project?",
    "What is the best way to write a personal statement?",
    "When considering fellowship or postdoctoral research programs, what factors should I "
    "consider? How do I select a program?",
    'Are you a "hands-on" mentor? If not, who would provide me with direct supervision and '
    "teaching in the laboratory or clinical research setting?",
    "How often would we meet and in what setting?",
    "How many other trainees do you mentor?",
    "Would I be able to have input and/or choose between ongoing projects, or would I be "
    "expected or allowed to develop an independent project?",
    "Regarding an independent project, would you facilitate the development of the project, "
    "or would I develop it without substantial input from you?",
    "What are examples of trainees that you have mentored that have progressed into "
    "independent academic research, pharma/biotech, or clinical positions?",
    "What are examples of awards and grants that your mentees have competed for?",
    "What is your thinking and expectations regarding peer-reviewed publications, review "
    "articles, and book chapters? Do you anticipate potential authorship opportunities? How "
    "would this be determined?",
    "Will there be opportunities to participate in peer-review?",
)

# Section 6, "Between meetings", in the guide's words.
BETWEEN_MEETINGS = (
    "Follow through on assigned tasks.",
    "Establish future meetings.",
    "Be flexible, as issues may arise, and the timeline you set may not work. Your mentor "
    "will help you navigate the process.",
    "Set the agenda for future meetings.",
    "Keep your mentor updated on progress: reaching out regularly will stimulate them to "
    "think about you and your project(s).",
    "Continue to \u201cmanage up.\u201d",
    "Ask for feedback, reflect, and implement feedback.",
)

AFTER_FIRST_MEETING = (
    "Am I invested in working with this mentor to advance my career?",
    "Are we communicating openly and honestly?",
    "Do we understand and agree on our roles in the relationship?",
    "Can I commit enough time to meet my mentor's expectations?",
    "Do I trust my mentor?",
)

AFTER_EACH_MEETING = (
    "Am I still learning and growing?",
    "Am I still committed to, and moving towards, my goals?",
    "Is this relationship continuing to be productive?",
    "Do I trust my mentor and believe they have my best interests in mind?",
)

# Now and then (with the mentor's check-in), the mentee takes stock of the relationship:
# the guide's "how to evaluate the ongoing success of the mentoring relationship".
ONGOING_SUCCESS = (
    "What does success look like to me, and am I making satisfactory progress towards it?",
    "Am I growing in my knowledge of the field?",
    "Are my needs being met?",
    "Are my mentor's needs being met?",
    "What will I need a year from now that we can start working on now?",
)

MENTOR_CHECKIN = (
    "What is working well?",
    "What isn't working well?",
    "Is your mentee moving appropriately towards their goals?",
    "Is there anything you, as the mentor, could do differently to help them get there?",
)

# Section 4, for the mentee: how to know it is time for closure.
CLOSURE_QUESTIONS_MENTEE = (
    "What is missing in this relationship? Could it be reshaped, or is it time to move on?",
    "If you did not get what you hoped for, did you say clearly what you expected and needed?",
    "Have you met your learning goals?",
    "Did it feel like meeting just to meet?",
    "Had progress stopped, even though you kept meeting?",
    "Has what matters to you, or your career focus, changed?",
)
# Section 4, for the mentor: evaluate the mentoring plan you agreed.
CLOSURE_QUESTIONS_MENTOR = (
    "Has your mentee accomplished what you both set out to do?",
    "What remains to be done, and who could help with it?",
    "Was progress towards the goals adequate? If not, what got in the way?",
    "Has your mentee's career or research focus shifted?",
)
LEAVING_GRACEFULLY = (
    "Gratitude is the key to leaving gracefully: thank each other for the time given.",
    "Talk about how needs have changed rather than about what the other did not do.",
    "Be transparent and direct about why, be gracious, and listen without judging.",
    "Ending the formal relationship does not end the collegial one: agree how to stay in touch.",
)

# The mentoring map (the guide's "network of mentors" exercise): who helps with what.
MENTORING_MAP = (
    ("Career guidance", "choices of track, position and next steps"),
    ("Research or clinical skills", "the craft of your daily work"),
    ("Sponsorship", "someone who speaks up for you and opens doors"),
    ("Feedback on your work", "people who read your drafts and watch you present"),
    ("Intellectual community", "peers to think with and learn from"),
    ("Emotional support", "people to talk to when things are hard"),
    ("Accountability", "someone who checks that you do what you planned"),
    ("Work and life", "balancing the job with the rest of life"),
)
MENTORING_TEAM_ADVICE = (
    "No one mentor can cover everything: a mentoring team shares the work.",
    "For each unmet need, think of one person you could ask: a peer, a senior colleague, "
    "someone at another institution.",
    "Ask your mentor whom they would suggest; introductions are part of a mentor's role.",
)
# Before the first meeting, for the mentor: the guide's reflection on past mentoring.
MENTOR_REFLECTION = (
    "Think of a mentor who made a difference to you. What did they do that helped?",
    "Think of a mentoring relationship that did not work. What got in the way?",
    "What do you expect of your mentee, and what can your mentee expect of you?",
    "What kind of mentor do you want to be, and what would you like to learn doing it?",
    "Who is on your own mentoring team, to turn to when you need advice as a mentor?",
)


_NOBODY = re.compile(
    r"^(?:|-+|\?+|n/?a|none|nobody|no one|no-one|not yet|nobody yet|tbd)\.?$", re.I
)


def read_mentoring_map(text: str) -> dict[str, str]:
    """ "Sponsorship: Dr. Lee" lines: the categories filled in, with what was written."""
    filled: dict[str, str] = {}
    for line in text.splitlines():
        label, sep, value = line.partition(":")
        if not sep or _NOBODY.match(value.strip()):
            continue
        wanted = " ".join(label.lower().split()).lstrip("-*0123456789. ")
        for category, _ in MENTORING_MAP:
            if wanted and category.lower().startswith(wanted[:12]) and len(wanted) >= 4:
                filled[category] = " ".join(value.split())[:300]
    return filled


# After a meeting, the answers that matter most when they are "no", twice in a row: their
# numbers in the after-meeting email (the taking-stock questions follow the usual four).
PRODUCTIVE = AFTER_EACH_MEETING.index("Is this relationship continuing to be productive?") + 1
NEEDS_MET = len(AFTER_EACH_MEETING) + ONGOING_SUCCESS.index("Are my needs being met?") + 1
WATCHED = {
    PRODUCTIVE: AFTER_EACH_MEETING[PRODUCTIVE - 1],
    NEEDS_MET: ONGOING_SUCCESS[NEEDS_MET - len(AFTER_EACH_MEETING) - 1],
}

_NUMBERED = re.compile(r"^\s*(\d{1,2})\s*[.):-]\s*(.+)$")
_NO = re.compile(r"^(?:no|nope|not really|not at all|not yet|not sure|nein|non)\b", re.IGNORECASE)


def numbered_answers(text: str) -> dict[int, str]:
    """ "3. no, not lately" lines: the answers written against the questions' numbers."""
    found: dict[int, str] = {}
    for line in text.splitlines():
        match = _NUMBERED.match(line)
        if match:
            found.setdefault(int(match.group(1)), match.group(2).strip())
    return found


def is_no(answer: str | None) -> bool:
    return answer is not None and bool(_NO.match(answer.strip()))
