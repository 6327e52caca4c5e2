"""Our tables' columns as the SQL kept once reads and writes them, converted as the ORM does.

Each table the statements touch is listed here column by column, with the ORM's own field
type for each column whose value the drivers do not hand over as it is: a datetime (SQLite
keeps it as text), a date, JSON, a flag, an enum. Those field types' public `to_db_value`
and `to_python_value` are what the ORM runs on its own columns, so what is written here is
what the ORM writes, and what is read is what it reads. A test compares every column of
each table against the ORM, and these lists against the models.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from tortoise import fields
from tortoise.models import Model

from service.mail.kinds import Topic
from service.storage.models import (
    InboundMessage,
    InboundStatus,
    MailStopped,
    Meeting,
    OutboundMessage,
    OutboundStatus,
    Pairing,
    PairingState,
    Person,
    Program,
)

M = TypeVar("M", bound=Model)


class Conversion(Protocol):
    """What the ORM's field types do to a value on its way to and from the database."""

    def to_db_value(self, value: Any, instance: type[Model] | Model) -> Any: ...

    def to_python_value(self, value: Any) -> Any: ...


# Made once, for their conversions only: they belong to no model.
WHEN: Conversion = fields.DatetimeField(null=True)
DAY: Conversion = fields.DateField(null=True)
JSON: Conversion = fields.JSONField(null=True)
FLAG: Conversion = fields.BooleanField(null=True)


def _enum(kind: type[Enum]) -> Conversion:
    return fields.CharEnumField(kind, null=True)


class Column(NamedTuple):
    name: str
    # The model's attribute; a foreign key's is its `…_id`.
    field: str
    # The ORM's field type that converts the value; None: the drivers' value is the model's.
    kind: Conversion | None = None


def _same(name: str, kind: Conversion | None = None) -> Column:
    """A column named as its attribute."""
    return Column(name, name, kind)


class Table(Generic[M]):
    """A table's name, model and columns."""

    def __init__(self, name: str, model: type[M], columns: Iterable[Column]) -> None:
        self.name = name
        self.model = model
        self.columns = tuple(columns)
        self._by_field = {column.field: column for column in self.columns}

    def column(self, field: str) -> Column:
        """The column of an attribute (a foreign key's by its `…_id`)."""
        try:
            return self._by_field[field]
        except KeyError:
            raise KeyError(f"{self.model.__name__} has no field {field!r}") from None

    def to_db(self, column: Column, value: Any) -> Any:
        return value if column.kind is None else column.kind.to_db_value(value, self.model)

    def make(
        self, row: Mapping[str, Any], prefix: str = "", related: Mapping[str, Model] | None = None
    ) -> M:
        """The model object of a row read with every column (named `<prefix><column>`), as
        the ORM would make it; `related` are the objects its foreign keys name, by the
        foreign key's name, when read with it."""
        values = {}
        for name, field, kind in self.columns:
            value = row[prefix + name]
            # None stays None in every conversion: no need to ask.
            values[field] = value if kind is None or value is None else kind.to_python_value(value)
        # Marked as read from the database, so that saving it updates its row.
        return self.model.construct(_saved_in_db=True, **values, **(related or {}))


PROGRAM = Table(
    "program",
    Program,
    [
        _same("id"),
        _same("name"),
        _same("coordinator_email"),
        _same("timezone"),
        _same("digest_weekday"),
        _same("digest_hour"),
        _same("created_at", WHEN),
        _same("holiday_country"),
        _same("holiday_region"),
        _same("own_holidays", JSON),
    ],
)

PERSON = Table(
    "person",
    Person,
    [
        _same("id"),
        _same("email"),
        _same("name"),
        _same("timezone"),
        _same("wants_receipts", FLAG),
        _same("created_at", WHEN),
        _same("bounce_score"),
        _same("bounce_scored_on", DAY),
        _same("mail_disabled_at", WHEN),
        _same("mail_stopped", _enum(MailStopped)),
        _same("greeting"),
    ],
)

PAIRING = Table(
    "pairing",
    Pairing,
    [
        _same("id"),
        _same("program_id"),
        _same("mentor_id"),
        _same("mentee_id"),
        _same("state", _enum(PairingState)),
        _same("start_date", DAY),
        _same("terms", JSON),
        _same("terms_version"),
        _same("anchor_day", DAY),
        _same("anchor_number"),
        _same("reevaluated_at", WHEN),
        _same("plan_at", WHEN),
        _same("reevaluate_at", WHEN),
        _same("mentor_agreed_at", WHEN),
        _same("mentee_agreed_at", WHEN),
        _same("signed_at", WHEN),
        _same("closing_path"),
        _same("closing_at", WHEN),
        _same("closed_at", WHEN),
        _same("created_at", WHEN),
        _same("updated_at", WHEN),
    ],
)

MEETING = Table(
    "meeting",
    Meeting,
    [
        _same("id"),
        _same("pairing_id"),
        _same("number"),
        _same("uid"),
        _same("sequence"),
        _same("starts_at", WHEN),
        _same("ends_at", WHEN),
        _same("tzid"),
        _same("cancelled", FLAG),
        _same("prompt_at", WHEN),
        _same("private", FLAG),
        _same("created_at", WHEN),
    ],
)

INBOUND_MESSAGE = Table(
    "inbound_message",
    InboundMessage,
    [
        _same("id"),
        _same("message_id"),
        Column("raw", "raw_bytes"),
        _same("sealed", FLAG),
        _same("source_key"),
        _same("status", _enum(InboundStatus)),
        _same("kind"),
        _same("topic", _enum(Topic)),
        _same("topic_ref"),
        _same("reason"),
        _same("from_addr"),
        _same("pairing_id"),
        _same("person_id"),
        _same("received_at", WHEN),
        _same("processed_at", WHEN),
        _same("attempts"),
    ],
)

OUTBOUND_MESSAGE = Table(
    "outbound_message",
    OutboundMessage,
    [
        _same("id"),
        _same("dedupe_key"),
        _same("kind"),
        _same("pairing_id"),
        _same("person_id"),
        _same("message_id"),
        _same("mail_from"),
        _same("recipients", JSON),
        _same("topic", _enum(Topic)),
        _same("topic_ref"),
        _same("replies_private", FLAG),
        _same("coordinator_id"),
        Column("raw", "raw_bytes"),
        _same("sealed", FLAG),
        _same("status", _enum(OutboundStatus)),
        _same("attempts"),
        _same("not_before", WHEN),
        _same("claimed_until", WHEN),
        _same("claim_token"),
        _same("last_error"),
        _same("created_at", WHEN),
        _same("sent_at", WHEN),
        _same("gathered", JSON),
    ],
)

TABLES: dict[type[Model], Table[Any]] = {
    table.model: table
    for table in (PROGRAM, PERSON, PAIRING, MEETING, INBOUND_MESSAGE, OUTBOUND_MESSAGE)
}


def table_of(model: type[M]) -> Table[M]:
    try:
        return TABLES[model]
    except KeyError:
        raise KeyError(f"{model.__name__}'s table is not listed in tables.py") from None
