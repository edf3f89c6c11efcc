"""Gated submissions by the prescription they wait for, and prescriptions reported written.

An entry is written before its submission is reserved (so a reserved gated submission is always findable by its
prescription); an entry whose submission was never created, or waits for another prescription, is skipped by
whoever reads it (the submission's own gate decides). The prescription as written is kept whether or not an
order waits for it yet, so an order submitted after its prescription was written is released at once.

While its submission waits, an entry is in the sparse WaitingIndex under its provider, by when the provider was
last asked (missed-event recovery asks about the oldest first); released or ended, it leaves the index.
"""

from typing import Any, NamedTuple

from rx_router.clock import iso_timestamp
from rx_router.store import table
from rx_router.store.models import PrescriptionGateModel

WRITTEN = '#written'


class Gate(NamedTuple):
    provider: str
    master_id: str

    @property
    def key(self) -> str:
        return f'{self.provider}#{self.master_id}'

    @classmethod
    def of(cls, prescription: dict[str, Any]) -> 'Gate':
        return cls(prescription['provider'], prescription['masterId'])

    @classmethod
    def parse(cls, key: str) -> 'Gate':
        provider, _, master_id = key.partition('#')
        return cls(provider, master_id)


class Waiting(NamedTuple):
    gate: Gate
    submission_id: str


def add_waiting(gate: Gate, submission_id: str) -> None:
    """Enters the submission as waiting, once: a repeated submit finds its entry there already (and must not put a
    released submission back into the waiting index)."""
    now = iso_timestamp()
    entry = PrescriptionGateModel(gate=gate.key, entry=submission_id, created_at=now, waiting_for=gate.provider, checked_at=now)
    try:
        table.put(entry, table.missing(PrescriptionGateModel.entry))
    except table.ConditionFailed:
        pass


def waiting(gate: Gate) -> list[str]:
    """The ids of the submissions entered as gated on the prescription, waiting or not (read consistently)."""
    key = table.equals(PrescriptionGateModel.gate, gate.key)
    entry = PrescriptionGateModel.entry.attr_name
    found = (item[entry]['S'] for item in table.query(PrescriptionGateModel, key, consistent=True))
    return [submission_id for submission_id in found if submission_id != WRITTEN]


def due_for_check(provider: str, checked_before: str, limit: int) -> list[Waiting]:
    """Submissions waiting for a prescription of `provider` that it was not asked about since `checked_before`,
    oldest first (at most `limit`)."""
    index = PrescriptionGateModel.waiting_index.Meta.index_name
    key = table.equals(PrescriptionGateModel.waiting_for, provider) & table.before(
        PrescriptionGateModel.checked_at, checked_before
    )
    gate, entry = PrescriptionGateModel.gate.attr_name, PrescriptionGateModel.entry.attr_name
    return [
        Waiting(Gate.parse(item[gate]['S']), item[entry]['S'])
        for item in table.query(PrescriptionGateModel, key, index=index, limit=limit)
    ]


def checked(waiting: Waiting) -> None:
    """The provider was asked now: the entry goes to the back of the line."""
    key = {'gate': waiting.gate.key, 'entry': waiting.submission_id}
    condition = table.exists(PrescriptionGateModel.waiting_for)
    try:
        table.update(PrescriptionGateModel, key, set_values={'checked_at': iso_timestamp()}, condition=condition)
    except table.ConditionFailed:
        pass  # it stopped waiting meanwhile


def stopped_waiting(gate: Gate, submission_id: str) -> None:
    """The submission was released or ended: its entry leaves the waiting index (it stays findable by its gate)."""
    key = {'gate': gate.key, 'entry': submission_id}
    try:
        table.update(
            PrescriptionGateModel,
            key,
            set_values={},
            remove=('waiting_for', 'checked_at'),
            condition=table.exists(PrescriptionGateModel.gate),
        )
    except table.ConditionFailed:
        pass


def record_written(gate: Gate, prescription: dict[str, Any]) -> None:
    """The prescription as the provider reported it written (the latest report stands)."""
    table.put(PrescriptionGateModel(gate=gate.key, entry=WRITTEN, record=prescription, created_at=iso_timestamp()))


def written(gate: Gate) -> dict[str, Any] | None:
    item = table.get(PrescriptionGateModel, {'gate': gate.key, 'entry': WRITTEN})
    return item.record if item is not None else None
