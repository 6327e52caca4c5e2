"""The people of a pairing and their program, loaded once per decision."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from service.outbox.writer import Reader
from service.storage.models import Pairing, Person, Program


def who(person: Person, role: str) -> dict[str, str]:
    """A person as templates name them."""
    return {"name": person.name, "email": person.email, "role": role}


@dataclass(frozen=True)
class Cast:
    """The people of one pairing and their program, loaded once per decision."""

    pairing_id: int
    program: Program
    mentor: Person
    mentee: Person

    @classmethod
    async def load(cls, connection: BaseDBAsyncClient, pairing: Pairing) -> Cast:
        row = await (
            Pairing.filter(id=pairing.id)
            .select_related("program", "mentor", "mentee")
            .using_db(connection)
            .get()
        )
        return cls(pairing.id, row.program, row.mentor, row.mentee)

    def sides(self) -> tuple[tuple[Person, str, Person, str], ...]:
        """(person, role, partner, partner's role) for each of the two."""
        return (
            (self.mentor, "mentor", self.mentee, "mentee"),
            (self.mentee, "mentee", self.mentor, "mentor"),
        )

    def partner_of(self, person: Person) -> tuple[Person, str]:
        """The other person of the pairing, and their role."""
        if person.id == self.mentor.id:
            return self.mentee, "mentee"
        return self.mentor, "mentor"

    def role_of(self, person: Person) -> str:
        return "mentor" if person.id == self.mentor.id else "mentee"

    def reader(self, person: Person) -> Reader:
        """One of the two as the reader of an email about this pairing."""
        return Reader.participant(person, self.role_of(person), self.program.name, self.pairing_id)
