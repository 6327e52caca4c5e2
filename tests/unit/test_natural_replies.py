"""Replies as people write them: full sentences, lists, other word orders, in several mail
clients' quoting. Each row says what must be acted on; a negation, a question, a condition
or a quotation is never acted on, and is asked about when it names a command."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage

import pytest

from service.inbox.confirming import says_yes
from service.mail.reading.parse import parse_message
from service.program.grammar import Grammar, ParseResult, as_written, closest, parse
from tests.mail import reply_to

A, E, C = Grammar.AGREEMENT, Grammar.EVERYDAY, Grammar.COORDINATOR

# (what was written, where, the commands acted on as the lists write them)
ACTS: list[tuple[str, Grammar, list[str]]] = [
    # Agreeing.
    ("I agree", A, ["I agree"]),
    ("Yes, I agree", A, ["I agree"]),
    ("I agree, thanks", A, ["I agree"]),
    ("Looks good, I agree. Alice", A, ["I agree"]),
    ("J'accepte. I agree", A, ["I agree"]),
    ("Agreed!", A, ["I agree"]),
    ("Yes — I agree to the agreement as it stands.", A, ["I agree"]),
    ("I'm happy with the terms.", A, ["I agree"]),
    ("Sounds great, I accept.", A, ["I agree"]),
    ("We both agree, thank you!", A, ["I agree"]),
    # Marking tasks done.
    ("done 2", E, ["done 2"]),
    ("Done with 2", E, ["done 2"]),
    ("I've finished 2 and 3.", E, ["done 2", "done 3"]),
    ("Task 4 is done", E, ["done 4"]),
    ("2 is done now, thanks!", E, ["done 2"]),
    ("Please mark 5 as done.", E, ["done 5"]),
    ("Just completed task #6", E, ["done 6"]),
    ("Finished: send CV to Dr. Lee", E, ["done: send CV to Dr. Lee"]),
    ("Great meeting today. Done 1, 3 and 4!", E, ["done 1", "done 3", "done 4"]),
    ("Done:\n- 2\n- the reading list", E, ["done 2", "done: the reading list"]),
    ("[x] 7", E, ["done 7"]),
    # Adding tasks.
    ("task: send CV to Dr. Lee by Dec 3", E, ["task: send CV to Dr. Lee by Dec 3"]),
    ("New task: book the room for mentor", E, ["task: book the room for mentor"]),
    ("Action item - read the two papers by Friday", E, ["task: read the two papers by Friday"]),
    ("Please add a task to draft my aims by Jan 20", E, ["task: draft my aims by Jan 20"]),
    ("To-do: email Dr. Lee. Then book the room", E, ["task: email Dr. Lee. Then book the room"]),
    (
        "Thanks for today! task: read the review before Friday",
        E,
        ["task: read the review before Friday"],
    ),
    (
        "Action items:\n- read the papers by Friday\n* draft aims by Jan 20\n\nBest, Sam",
        E,
        ["task: read the papers by Friday", "task: draft aims by Jan 20"],
    ),
    # The agenda.
    ("agenda: fellowship options", E, ["agenda: fellowship options"]),
    ("For the agenda: my K99 budget", E, ["agenda: my K99 budget"]),
    ("Please add the poster deadline to the agenda.", E, ["agenda: the poster deadline"]),
    # Rescheduling (the date is read later, by the date reader, as written).
    ("reschedule: Dec 9 3pm", E, ["reschedule: Dec 9 3pm"]),
    ("Let's reschedule to Thursday at 10.", E, ["reschedule: Thursday at 10"]),
    ("Please move our meeting to Dec 10 3pm", E, ["reschedule: Dec 10 3pm"]),
    ("Reschedule - Friday 2pm, thanks", E, ["reschedule: Friday 2pm"]),
    # Pausing, resuming, phasing out, written plainly.
    ("Pause", E, ["pause"]),
    ("Please pause our meetings for now.", E, ["pause"]),
    ("Pause for now, thanks", E, ["pause"]),
    ("resume please", E, ["resume"]),
    ("I'm back, resume our meetings", E, ["resume"]),
    ("Let's resume.", E, ["resume"]),
    ("phase out", E, ["phase out"]),
    ("Please phase out our mentoring.", E, ["phase out"]),
    # A coordinator's, politely.
    ("Please nudge 12, thanks", C, ["nudge 12"]),
    ("details 4 please", C, ["details 4"]),
    ("Please, digest now. Thanks", C, ["digest now"]),
]

# (what was written, where, the commands it should be asked about; [] when there is nothing
# to ask and it is simply not acted on)
HOLDS: list[tuple[str, Grammar, list[str]]] = [
    # Negations.
    ("I don't agree yet", A, ["I agree"]),
    ("I do not agree with the frequency.", A, ["I agree"]),
    ("Not done with 2", E, ["done 2"]),
    ("I haven't finished 3.", E, ["done 3"]),
    ("Task 2 is not done yet", E, ["done 2"]),
    ("Please don't pause anything", E, ["pause"]),
    ("No, I never agreed to that", A, ["I agree"]),
    ("I agree, but not with meeting monthly", A, ["I agree"]),
    ("Please do not pause.", E, ["pause"]),
    ("I can't resume until March", E, ["resume"]),
    ("2 done, 3 not done", E, ["done 2"]),
    ("I agree with the goals but not the frequency", A, ["I agree"]),
    ("hold on, do not mark 3 done", E, ["done 3"]),
    # Questions.
    ("should I mark 2 done?", E, ["done 2"]),
    ("can we pause?", E, ["pause"]),
    ("Could we reschedule to Dec 10 3pm?", E, ["reschedule: Dec 10 3pm"]),
    ("Do I need to write I agree?", A, ["I agree"]),
    ("Shall we phase out", E, ["phase out"]),
    ("Is task 4 done?", E, ["done 4"]),
    ("Can you nudge 12?", C, ["nudge 12"]),
    # Conditions, and what may happen later.
    ("If you agree, I agree too.", A, ["I agree"]),
    ("I'll agree once we have talked about the goals", A, ["I agree"]),
    ("I will mark 2 done after the meeting", E, ["done 2"]),
    ("Pause if the holidays get busy", E, ["pause"]),
    ("If possible, done 2", E, ["done 2"]),
    ("Resume, unless you object", E, ["resume"]),
    ("I'd like to phase out", E, ["phase out"]),
    ("Maybe we should resume in January", E, ["resume"]),
    ("We might reschedule to Friday 2pm", E, ["reschedule: Friday 2pm"]),
    # Quotations of a command.
    ("you wrote 'done 2'", E, ["done 2"]),
    ('The email says to write "I agree" here', A, ["I agree"]),
    ("e.g. done 2", E, ["done 2"]),
    ("Should I write `pause`?", E, ["pause"]),
    ("You wrote: done 2", E, ["done 2"]),
    ("The email says reschedule: Dec 10 4pm", E, ["reschedule: Dec 10 4pm"]),
    ("Do you think we should move our meeting to Friday 9am?", E, ["reschedule: Friday 9am"]),
    ("Like it says, I agree agrees to the agreement as it stands", A, ["I agree"]),
    # Loose sentences for what cannot be undone: asked, not acted on.
    ("I need to pause things for a bit during my rotation.", E, ["pause"]),
    ("I think it's time to end our mentorship.", E, ["phase out"]),
    ("We could take a break from meetings over the summer", E, ["pause"]),
]

FREE: list[tuple[str, Grammar]] = [
    ("Also can we meet on zoom instead? Thanks!", E),
    ("The abstract went in last night.", E),
    ("Can we change to zoom?", E),
    ("Move to the next point: the grant.", E),
    ("please send me a list of everyone who has not signed", C),
    ("Looking forward to working with you, Zoë!", A),
]


def acted(result: ParseResult) -> list[str]:
    return [as_written(command) for command in result.commands]


@pytest.mark.parametrize(("text", "grammar", "commands"), ACTS)
def test_what_people_write_is_acted_on(text: str, grammar: Grammar, commands: list[str]) -> None:
    result = parse(text, grammar)
    if grammar is C:
        assert acted(result) == commands
    else:
        assert acted(result) == commands
    assert result.held == [] and result.unknown == []


@pytest.mark.parametrize(("text", "grammar", "asks"), HOLDS)
def test_negations_questions_conditions_and_quotations_are_never_acted_on(
    text: str, grammar: Grammar, asks: list[str]
) -> None:
    result = parse(text, grammar)
    assert result.commands == [], f"acted on {text!r}"
    (held,) = result.held
    assert held.held  # why, in words for the writer
    assert result.free_text == [held.text]  # and still the writer's words, for a form's answer
    if grammar is not C:
        assert [as_written(command) for command in held.asks] == asks


@pytest.mark.parametrize(("text", "grammar"), FREE)
def test_free_text_stays_free_text(text: str, grammar: Grammar) -> None:
    result = parse(text, grammar)
    assert result.commands == [] and result.held == []
    # Kept whole, as written: passed on, or answered with the closest commands.
    assert result.free_text == [text] and not result.lines[0].pleasantry


def test_pleasantries_and_signatures_are_marked_as_such() -> None:
    result = parse(
        "Hi Zoë,\nThanks so much!\nSomething came up, sorry.\nBest,\nSam Okafor\n"
        "Dr. Zoë O'Brien, MD",
        E,
    )
    assert all(line.pleasantry for line in result.lines)


def test_a_line_not_understood_comes_with_the_closest_commands() -> None:
    assert closest("please send me a list of everyone who has not signed", C)[0] == "digest now"
    assert closest("we can finish the thing", E, "mentee")[0] == "done 2"
    assert "pause" in closest("I'm on leave next month", E, "mentee")


def original() -> bytes:
    """An email of ours whose text lists the commands, as every email does."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "mentormail <mentorship@mentormail.example>"
    message["Reply-To"] = "mentorship+abc@mentormail.example"
    message["To"] = "sam@university.example"
    message["Subject"] = "Your agreement"
    message["Message-ID"] = "<original@mentormail.example>"
    commands = "You may write, one per line:\nI agree\ndone 2\npause\nphase out\n"
    message.set_content("Dear Sam,\n\n" + commands)
    message.add_alternative(
        "<p>Dear Sam,</p><p>" + commands.replace("\n", "<br>") + "</p>", subtype="html"
    )
    return message.as_bytes()


def apple_mail(body: str) -> bytes:
    """Apple Mail: the attribution on its own line, then the original `>`-quoted."""
    quoted = "\n".join("> " + line for line in "I agree\ndone 2\npause".splitlines())
    return (
        "From: sam@university.example\r\nTo: mentorship+abc@mentormail.example\r\n"
        "Subject: Re: Your agreement\r\nMessage-ID: <apple@university.example>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body}\r\n\r\nOn 23 Nov 2026, at 14:00, mentormail "
        f"<mentorship@mentormail.example> wrote:\r\n\r\n{quoted}\r\n"
    ).encode()


def inline_answer(body: str) -> bytes:
    """Thunderbird's inline answer: the writer's sentences between quoted lines."""
    return (
        "From: sam@university.example\r\nTo: mentorship+abc@mentormail.example\r\n"
        "Subject: Re: Your agreement\r\nMessage-ID: <tb@university.example>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "On 23/11/2026 14:00, mentormail wrote:\r\n> Dear Sam,\r\n> done 2\r\n"
        f"{body}\r\n> pause\r\n"
    ).encode()


QUOTING = [
    ("gmail", "Yes, I agree. Thanks!", ["I agree"]),
    ("outlook", "Looks good, I agree.\nAlice", ["I agree"]),
    ("html", "I agree, thanks", ["I agree"]),
    ("gmail", "I don't agree yet", []),
    ("outlook", "should I mark 2 done?", []),
    ("html", "Can we pause?", []),
    ("apple", "I've finished 2.", ["done 2"]),
    ("apple", "I'll agree once we talk", []),
    ("inline", "Task 3 is done", ["done 3"]),
    ("inline", "not done with 2", []),
]


@pytest.mark.parametrize(("style", "body", "commands"), QUOTING)
def test_in_each_client_s_quoting_only_what_was_written_counts(
    style: str, body: str, commands: list[str]
) -> None:
    if style == "apple":
        raw = apple_mail(body)
    elif style == "inline":
        raw = inline_answer(body)
    else:
        raw = reply_to(original(), sender="sam@university.example", body=body, style=style)
    text = parse_message(raw).visible_text
    grammar = A if "agree" in body else E
    assert acted(parse(text, grammar)) == commands, text


@pytest.mark.parametrize(
    ("text", "grammar", "yes"),
    [
        ("Yes please, thanks!", E, True),
        ("Hi,\nyes, go ahead\nBest, Sam", E, True),
        ("Confirm.", A, True),
        ("ok", E, True),
        ("Yes, I agree", A, False),  # a command of its own
        ("Yes, much better.", E, False),  # an answer, not a yes to our asking
        ("Yes\nAlso can we meet on zoom instead?", E, False),
        ("Yes? Should I pause?", E, False),
    ],
)
def test_a_bare_yes_answers_what_we_asked(text: str, grammar: Grammar, yes: bool) -> None:
    assert says_yes(parse(text, grammar)) is yes


def test_a_word_that_ends_a_sentence_is_said_not_signed() -> None:
    # In a private reflection "Proud." is the answer; "Sam Okafor" alone signs the message.
    from service.program.natural import pleasantry

    assert not pleasantry("Proud.") and not pleasantry("Exhausted.")
    assert not pleasantry("SHARED-91bc Proud."), "a name has no digits"
    assert pleasantry("Sam Okafor") and pleasantry("-- Sam") and pleasantry("Dr. Zoë O'Brien, MD")
