"""`rxrouter console` in a real headless Chromium (Debian's chromium and chromium-driver, installed by `make`):
find an order, see its drawn timeline, diagnosis and tracking without patient data, reveal it on purpose (recorded
on the timeline), and redrive the dead letters behind a confirmation; the API refuses requests without the
session's token."""

import io
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from rxlocal.client import SignedClient
from tests.e2e.conftest import E2EStack
from tests.support import PATIENT_VALUES, submission

CHROMIUM, CHROMEDRIVER = shutil.which('chromium'), shutil.which('chromedriver')
if not (CHROMIUM and CHROMEDRIVER):
    if os.environ.get('CI'):
        raise RuntimeError('chromium and chromium-driver are missing: `make install` installs them (make browser)')
    pytest.skip('chromium / chromium-driver not installed: run `make browser`', allow_module_level=True)

from selenium import webdriver  # noqa: E402 - only with a browser
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope='module')
def console(stack: E2EStack) -> Iterator[str]:
    command = [str(Path(sys.executable).parent / 'rxrouter'), 'console', '--port', '0']  # as stack.cli runs it
    process = subprocess.Popen(command, env=stack.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line, process.stderr.read() if process.stderr else 'no output'
        yield json.loads(line)['url']
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope='module')
def browser() -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1280,1600'):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_the_console_finds_an_order_draws_its_timeline_and_reveals_patient_data_only_on_request(
    stack: E2EStack, console: str, browser: Any, tmp_path: Path
) -> None:
    client: SignedClient = stack.client(stack.demo)
    source_order_id = f'e2e-console-{uuid.uuid4()}'
    body = submission(sourceOrderId=source_order_id, callbackUrl='http://127.0.0.1:9/cb', routing={'patientState': 'WA'})
    created = client.submit(body).json()
    assert stack.cli('sandbox', 'ship', created['submissionId'], '--tracking', '794644790132').returncode == 0

    browser.get(f'{console}&q={source_order_id}')  # found by its source order id
    wait = WebDriverWait(browser, 30)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '#timeline circle')) >= 5)
    page = browser.find_element(By.TAG_NAME, 'body').text
    assert created['submissionId'] in page and 'shipped' in page
    assert 'Diagnosis' in page.title() or 'DIAGNOSIS' in page.upper()
    assert all(value not in page for value in PATIENT_VALUES)  # nothing of the patient until revealed
    moves = [t.text for t in browser.find_elements(By.CSS_SELECTOR, '#timeline text')]
    assert {'submitted', 'shipped'} <= set(moves)

    drawn = Image.open(io.BytesIO(browser.find_element(By.ID, 'timeline').screenshot_as_png)).convert('RGB')
    drawn.save(tmp_path / 'timeline.png')
    colours = {colour for _, colour in drawn.getcolors(maxcolors=1 << 20) or []}
    status_blue, shipped_orange = (0x3D, 0x7B, 0xD9), (0xE0, 0x92, 0x2F)
    assert status_blue in colours and shipped_orange in colours  # the submitted and shipped dots are drawn

    browser.find_element(By.ID, 'reveal').click()
    wait.until(lambda d: d.switch_to.alert).accept()
    wait.until(lambda d: 'Smith' in d.find_element(By.ID, 'patient').text)
    timeline = json.loads(stack.cli('submissions', 'timeline', created['submissionId']).stdout)['events']
    assert any(e.get('action') == 'patient data revealed' for e in timeline)


def test_dead_letters_are_redriven_only_after_confirmation(stack: E2EStack, console: str, browser: Any) -> None:
    browser.get(console)
    wait = WebDriverWait(browser, 30)
    wait.until(lambda d: d.find_element(By.ID, 'dlq-depth').text.isdigit())
    browser.find_element(By.ID, 'redrive').click()
    wait.until(lambda d: d.switch_to.alert).dismiss()
    assert browser.find_element(By.ID, 'error').text == ''
    browser.find_element(By.ID, 'redrive').click()
    wait.until(lambda d: d.switch_to.alert).accept()
    wait.until(lambda d: d.find_element(By.ID, 'error').text.startswith('Redriven: '))


def test_the_console_api_needs_the_session_token(console: str) -> None:
    base = console.split('/?')[0]
    assert httpx.get(base + '/').status_code == 403
    assert httpx.get(base + '/api/dlq').status_code == 403
    assert httpx.get(base + '/api/dlq', headers={'x-console-token': 'guess'}).status_code == 403
    assert httpx.post(base + '/api/dlq/redrive', json={'confirm': True}).status_code == 403
    token = console.split('token=')[1]
    assert httpx.post(base + '/api/dlq/redrive', json={}, headers={'x-console-token': token}).status_code == 400
