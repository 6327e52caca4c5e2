"""Every kind of email and every topic, held together: what replies are about, who handles
them, what each template is given, and what each command does."""

from __future__ import annotations

import pytest
from jinja2 import meta

from service.inbox.commands import COORDINATORS, PARTICIPANTS
from service.inbox.topics import HANDLERS
from service.mail.kinds import COMMON_FIELDS, KINDS, Topic
from service.mail.writing.compose import TEMPLATES, environment
from service.program.grammar import GRAMMAR, Grammar


def test_private_topics_are_the_private_matters() -> None:
    private = {topic for topic in Topic if topic.private}
    assert private == {
        Topic.PRIVATE,
        Topic.PRIVATE_MEETING,
        Topic.PRIVATE_TASK,
        Topic.PRIVATE_PROPOSAL,
        Topic.AFTER_MEETING,
        Topic.CHECKIN,
        Topic.MENTORING_MAP,
        Topic.MENTOR_REFLECTION,
        Topic.CLOSURE,
        Topic.PERFORMANCE_SUMMARY,
        Topic.PERFORMANCE_DRAFT,
        Topic.PERFORMANCE_FOLLOWUP,
        Topic.PERFORMANCE_CHECKBACK,
    }
    # Mail sealed at rest is never answered in the clear.
    for kind in KINDS.values():
        if kind.sealed:
            assert all(topic.private for topic in kind.topics), kind.name


def test_every_participant_topic_has_a_handler_and_coordinators_have_their_own() -> None:
    participants = {topic for topic in Topic if not topic.for_coordinators}
    assert set(HANDLERS) == participants


def test_every_command_has_exactly_one_handler() -> None:
    coordinators = {s for s in GRAMMAR if Grammar.COORDINATOR in s.grammars}
    assert set(COORDINATORS) == coordinators
    assert set(PARTICIPANTS) == set(GRAMMAR) - coordinators


def _variables(name: str) -> set[str]:
    """What a template and the templates it includes read from their context."""
    env = environment()
    found: set[str] = set()
    pending = [f"{name}.subject.txt", f"{name}.txt", f"{name}.html"]
    seen: set[str] = set()
    while pending:
        template = pending.pop()
        if template in seen:
            continue
        seen.add(template)
        tree = env.parse((TEMPLATES / template).read_text())
        found |= meta.find_undeclared_variables(tree)
        pending += [t for t in meta.find_referenced_templates(tree) if t and t != "_macros.html"]
    return found - {"m"}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_declares_what_its_templates_read(kind: str) -> None:
    assert _variables(kind) - COMMON_FIELDS == KINDS[kind].fields
