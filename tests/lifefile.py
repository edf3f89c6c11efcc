"""Builders for the LifeFile tests: a Belmar instance and catalog, a prescription it can take, a signature image and
a signed prescription PDF (as a prescriber's system would send them)."""

import base64
import io
from typing import Any

from PIL import Image
from pypdf import PdfReader

from rx_router.pharmacies.records import CatalogEntry, PharmacyInstance
from tests.support import submission

BELMAR_SETTINGS = {
    'base_url': 'https://host47.lifefile.test:10165/lfapi/v1',
    'vendor_id': '11208',
    'location_id': '110',
    'network_id': '1104',
    'practice_id': '988599',
    'shipping_service': 6227,
    'test_status_id': 'SBA',
    'production_status_id': 'SBB',
}
BELMAR = PharmacyInstance(
    id='belmar',
    type='lifefile',
    label='Belmar',
    settings=BELMAR_SETTINGS,
    credentials_key='belmar',
    webhook_secret_key='belmar',
)
BELMAR_CATALOG = (
    CatalogEntry(pharmacy='belmar', product='semaglutide', name='Semaglutide', native_id='305157958', match=('semaglutide',)),
    CatalogEntry(
        pharmacy='belmar',
        product='testosterone-cypionate',
        name='Testosterone Cypionate',
        native_id='TC-200',
        match=('testosterone',),
        schedule='III',
    ),
)
BELMAR_CREDENTIALS = {'username': 'belmar-api', 'password': 'belmar-api-password'}
WEBHOOK_PAIRS = ['lifefile-push:old-password', 'lifefile-push:new-password']


def signature_png(width: int = 300, height: int = 80) -> bytes:
    image = Image.new('RGBA', (width, height), (255, 255, 255, 0))
    for x in range(20, width - 20):
        image.putpixel((x, height // 2 + (x % 7) - 3), (0, 0, 128, 255))
    out = io.BytesIO()
    image.save(out, format='PNG')
    return out.getvalue()


SIGNATURE_PNG = signature_png()


def signed_pdf() -> bytes:
    """A small real PDF standing in for the prescriber's wet-signed scan."""
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    canvas = Canvas(out, invariant=1)
    canvas.drawString(72, 720, 'Scanned prescription signed by hand')
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def belmar_submission(**overrides: Any) -> dict[str, Any]:
    """The spec's example, routed to Belmar, with what a LifeFile hardcopy needs (strength, form, signature)."""
    base = submission()
    body = submission(
        routing={'patientState': 'TX', 'preferredPharmacy': 'belmar'},
        prescriber={**base['prescriber'], 'signatureBase64': base64.b64encode(SIGNATURE_PNG).decode()},
        medication={**base['medication'], 'strength': '2.5 mg/mL', 'dosageForm': 'Injectable solution'},
    )
    body.update(overrides)
    return body


def controlled_submission(**medication: Any) -> dict[str, Any]:
    body = belmar_submission()
    body['prescriber'] = {**body['prescriber'], 'deaNumber': 'AB1234563'}
    body['medication'] = {
        **body['medication'],
        'name': 'Testosterone Cypionate 200mg/mL',
        'strength': '200 mg/mL',
        'dosageForm': 'Injectable oil',
        **medication,
    }
    return body


def pdf_text(document: bytes) -> tuple[str, int]:
    """The text of a one-page PDF and how many images the page holds."""
    reader = PdfReader(io.BytesIO(document))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    return page.extract_text(), len(page.images)
