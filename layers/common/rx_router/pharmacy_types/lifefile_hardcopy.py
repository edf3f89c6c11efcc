"""The signed hardcopy prescription a LifeFile order carries (`order.document.pdfBase64`), drawn with ReportLab.

One Letter page with every element 21 CFR 1306.05(a) names (date written; patient's full name and address; drug
name, strength, dosage form, quantity; directions; refills; prescriber's name, address, NPI and DEA number when
given), the clinical-difference statement, and the prescriber's signature image. Only for lines that are not
controlled substances: a stamped image is not a manual signature, so a controlled line needs a document the
prescriber signed (medication.signedPrescriptionPdfBase64).

ReportLab (and Pillow, for the signature image) are imported on the first hardcopy, never at a handler's import.
The output is deterministic (ReportLab's invariant mode): the same prescription on the same day gives the same
bytes. Nothing here logs; errors name fields, never values.
"""

import base64
import io
from typing import TYPE_CHECKING, NamedTuple

from rx_router.errors import Unprocessable

if TYPE_CHECKING:
    from rx_router.validation.prescription import PrescriptionSubmission

PNG = b'\x89PNG\r\n\x1a\n'
JPEG = b'\xff\xd8\xff'
PAGE_MARGIN = 54  # points (0.75 in)
SIGNATURE_BOX = (216, 72)  # points: at most 3 in x 1 in, aspect ratio kept
BODY_FONT, BOLD_FONT, FONT_SIZE, LEADING = 'Helvetica', 'Helvetica-Bold', 10, 14


class Hardcopy(NamedTuple):
    """What the page states beyond the prescription itself."""

    reference: str  # the router's submission id, which the pharmacy also receives as order.general.referenceId
    date_written: str  # YYYY-MM-DD
    pharmacy_label: str
    quantity_units: str


def signature_image(rx: 'PrescriptionSubmission') -> bytes:
    """The decoded signature, if it is a PNG or JPEG image. Unprocessable otherwise."""
    encoded = rx.prescriber.signature_base64
    if not encoded:
        raise Unprocessable('prescriber.signatureBase64 is required: the hardcopy prescription carries the signature')
    image = base64.b64decode(encoded)
    if not image.startswith((PNG, JPEG)):
        raise Unprocessable('prescriber.signatureBase64 must be a PNG or JPEG image')
    return image


def _lines(rx: 'PrescriptionSubmission', page: Hardcopy) -> list[tuple[str, str]]:
    patient, ship, med, prescriber = rx.patient, rx.ship_to, rx.medication, rx.prescriber
    patient_address = ', '.join(
        part for part in (ship.address_line1, ship.address_line2, f'{ship.city}, {ship.state} {ship.zip}') if part
    )
    prescriber_address = ''
    if prescriber.address:
        a = prescriber.address
        prescriber_address = f'{a.line1}, {a.city}, {a.state} {a.zip}'
    license_text = ' '.join(part for part in (prescriber.license_state, prescriber.license_number) if part)
    rows = [
        ('Date written', page.date_written),
        ('Reference', page.reference),
        ('Pharmacy', page.pharmacy_label),
        ('', ''),
        ('Patient', f'{patient.first_name} {patient.last_name}'),
        ('Date of birth', patient.dob),
        ('Patient address', patient_address),
        ('', ''),
        ('Drug', med.name),
        ('Strength', med.strength or ''),
        ('Dosage form', med.dosage_form or ''),
        ('Quantity', f'{med.quantity} {page.quantity_units}'),
        ('Days supply', str(med.days_supply)),
        ('Directions', med.sig),
        ('Refills', str(med.refills)),
        ('Clinical difference', med.clinical_justification or 'none stated'),
        ('', ''),
        ('Prescriber', f'{prescriber.first_name} {prescriber.last_name}'),
        ('Prescriber address', prescriber_address),
        ('NPI', prescriber.npi),
        ('DEA', prescriber.dea_number or ''),
        ('License', license_text),
        ('Phone', prescriber.phone or ''),
    ]
    return [(label, value) for label, value in rows if value or not label]


def render(rx: 'PrescriptionSubmission', page: Hardcopy) -> bytes:
    """The hardcopy PDF. Unprocessable when the signature is missing or not an image."""
    signature = signature_image(rx)
    from reportlab.lib.pagesizes import LETTER
    from reportlab.lib.utils import ImageReader, simpleSplit
    from reportlab.pdfgen.canvas import Canvas

    try:
        image = ImageReader(io.BytesIO(signature))
        image_width, image_height = image.getSize()
    except Exception:  # noqa: BLE001 - Pillow's many decode errors; the value is never echoed
        raise Unprocessable('prescriber.signatureBase64 is not a readable PNG or JPEG image') from None

    out = io.BytesIO()
    width, height = LETTER
    canvas = Canvas(out, pagesize=LETTER, invariant=1, pageCompression=1)
    canvas.setTitle(f'Prescription {page.reference}')
    canvas.setAuthor('Pharmacy Router')
    y = height - PAGE_MARGIN
    canvas.setFont(BOLD_FONT, 14)
    canvas.drawString(PAGE_MARGIN, y, 'Prescription')
    y -= 2 * LEADING
    label_width = 120
    value_width = width - 2 * PAGE_MARGIN - label_width
    for label, value in _lines(rx, page):
        if not label:
            y -= LEADING / 2
            continue
        canvas.setFont(BOLD_FONT, FONT_SIZE)
        canvas.drawString(PAGE_MARGIN, y, f'{label}:')
        canvas.setFont(BODY_FONT, FONT_SIZE)
        for part in simpleSplit(value, BODY_FONT, FONT_SIZE, value_width) or ['']:
            canvas.drawString(PAGE_MARGIN + label_width, y, part)
            y -= LEADING
    y -= LEADING
    box_width, box_height = SIGNATURE_BOX
    scale = min(box_width / image_width, box_height / image_height)
    drawn_width, drawn_height = image_width * scale, image_height * scale
    y -= drawn_height
    canvas.drawImage(image, PAGE_MARGIN + label_width, y, drawn_width, drawn_height, mask='auto')
    canvas.setFont(BOLD_FONT, FONT_SIZE)
    canvas.drawString(PAGE_MARGIN, y, 'Signature:')
    y -= LEADING
    canvas.setFont(BODY_FONT, 8)
    canvas.drawString(
        PAGE_MARGIN + label_width, y, f"Prescriber's signature image as supplied by the prescribing system, {page.date_written}"
    )
    canvas.showPage()
    canvas.save()
    return out.getvalue()
