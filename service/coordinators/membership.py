"""Who coordinates a program: added and removed by whoever runs the service, never by mail."""

from __future__ import annotations

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from service.program.roster import normalise_email
from service.storage.db import transaction
from service.storage.models import Coordinator, Program


class MembershipError(ValueError):
    """A change that cannot be made, in words for whoever asked."""


async def add_coordinator(program_name: str, email: str, now: datetime) -> str:
    """Make `email` a coordinator of the program; returns what was done, in words."""
    address = _address(email)
    async with transaction() as connection:
        program = await _program(program_name, connection)
        _, created = await Coordinator.get_or_create(
            program=program, email=address, defaults={"created_at": now}, using_db=connection
        )
        if program.coordinator_email is None:
            # Participants' `help:` notes go to the program's first coordinator.
            program.coordinator_email = address
            await program.save(using_db=connection, update_fields=["coordinator_email"])
    if not created:
        return f"{address} already coordinates {program.name}."
    return f"{address} now coordinates {program.name}: their digests and commands begin."


async def remove_coordinator(program_name: str, email: str) -> str:
    address = _address(email)
    async with transaction() as connection:
        program = await _program(program_name, connection)
        removed = await (
            Coordinator.filter(program=program, email=address).using_db(connection).delete()
        )
        if removed and program.coordinator_email == address:
            left = await (
                Coordinator.filter(program=program).order_by("id").using_db(connection).first()
            )
            program.coordinator_email = None if left is None else left.email
            await program.save(using_db=connection, update_fields=["coordinator_email"])
    if not removed:
        return f"{address} does not coordinate {program.name}: nothing was changed."
    return f"{address} no longer coordinates {program.name}."


async def coordinators(program_name: str | None) -> list[tuple[str, str]]:
    """(program, coordinator's address) of one program, or of all."""
    query = Coordinator.all().select_related("program").order_by("program_id", "email")
    if program_name is not None:
        query = query.filter(program__name=program_name)
    return [(c.program.name, c.email) for c in await query]


def _address(email: str) -> str:
    try:
        return normalise_email(email)
    except ValueError as exc:
        raise MembershipError(str(exc)) from None


async def _program(name: str, connection: BaseDBAsyncClient) -> Program:
    program = await Program.get_or_none(name=name, using_db=connection)
    if program is None:
        raise MembershipError(f"There is no program named {name!r}.")
    return program
