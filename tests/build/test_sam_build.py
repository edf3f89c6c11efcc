"""Checks the artefacts of `make build`: the layer carries arm64 binaries, and everything ships bytecode."""

import importlib.util
import sys
from pathlib import Path

import pytest

from rxlocal import template
from tests.support import ROOT

pytestmark = pytest.mark.build
BUILD = ROOT / '.aws-sam/build'
LAYER = BUILD / 'CommonLayer/python'
CHECKED_HASH = (0b11).to_bytes(4, 'little')  # PEP 552 flags: hash-based, check_source


def test_layer_is_built_with_the_package_and_pinned_dependencies() -> None:
    if not LAYER.is_dir():
        pytest.fail('no .aws-sam/build: run `make build` (make test does) before these tests')
    assert (LAYER / 'rx_router/aws.py').is_file() and (LAYER / 'rx_router/routing/resolve.py').is_file()
    pinned = (ROOT / 'layers/common/requirements.txt').read_text().split()
    for requirement in pinned:
        name, version = requirement.split('==')
        assert list(LAYER.glob(f'{name.replace("-", "_")}-{version}.dist-info')), requirement


def test_layer_native_modules_are_for_arm64() -> None:
    shared_objects = list(LAYER.rglob('*.so'))
    assert shared_objects, 'expected compiled modules (pydantic_core)'
    wrong = [p.name for p in shared_objects if 'x86_64' in p.name or ('aarch64' not in p.name and 'cpython' in p.name)]
    assert not wrong, wrong


def test_functions_do_not_bundle_their_own_dependencies() -> None:
    for function in ('SubmitFunction', 'GetSubmissionFunction', 'HealthFunction'):
        built = {p.name for p in (ROOT / '.aws-sam/build' / function).iterdir()}
        assert 'app.py' in built
        assert not built & {'pydantic', 'pynamodb', 'httpx', 'botocore'}


def test_every_module_ships_checked_hash_bytecode_for_the_runtime() -> None:
    runtime = template.load()['Globals']['Function']['Runtime']
    assert runtime == f'python{sys.version_info.major}.{sys.version_info.minor}', 'bytecode must be compiled by the runtime'
    sources = [p for p in BUILD.rglob('*.py') if '__pycache__' not in p.parts]
    assert len(sources) > 500
    wrong = []
    for source in sources:
        compiled = Path(importlib.util.cache_from_source(str(source)))
        header = compiled.read_bytes()[:16] if compiled.is_file() else b''
        expected = importlib.util.MAGIC_NUMBER + CHECKED_HASH + importlib.util.source_hash(source.read_bytes())
        if header != expected:
            wrong.append(str(source.relative_to(BUILD)))
    assert not wrong, f'{len(wrong)} modules without valid bytecode, e.g. {wrong[:3]}'
