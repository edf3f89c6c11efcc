"""Gated submissions by the prescription they wait for, and prescriptions reported written.

An entry is written before its submission is reserved (so a reserved gated submission is always findable by its
prescription); an entry whose submission was never created, or waits for another prescription, is skipped by
whoever reads it (the submission's own gate decides). The prescription as written is kept whether or not an
order waits for it yet, so an order submitted after its prescription was written is released at once.
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


def add_waiting(gate: Gate, submission_id: str) -> None:
    table.put(PrescriptionGateModel(gate=gate.key, entry=submission_id, created_at=iso_timestamp()))


def waiting(gate: Gate) -> list[str]:
    """The ids of the submissions entered as waiting for the prescription (read consistently)."""
    key = table.equals(PrescriptionGateModel.gate, gate.key)
    entry = PrescriptionGateModel.entry.attr_name
    found = (item[entry]['S'] for item in table.query(PrescriptionGateModel, key, consistent=True))
    return [submission_id for submission_id in found if submission_id != WRITTEN]


def record_written(gate: Gate, prescription: dict[str, Any]) -> None:
    """The prescription as the provider reported it written (the latest report stands)."""
    table.put(PrescriptionGateModel(gate=gate.key, entry=WRITTEN, record=prescription, created_at=iso_timestamp()))


def written(gate: Gate) -> dict[str, Any] | None:
    item = table.get(PrescriptionGateModel, {'gate': gate.key, 'entry': WRITTEN})
    return item.record if item is not None else None
