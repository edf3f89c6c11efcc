"""Checks the artefacts of `sam build` (make test runs it first): the layer must carry arm64 binaries."""

import pytest

from tests.support import ROOT

pytestmark = pytest.mark.build
LAYER = ROOT / '.aws-sam/build/CommonLayer/python'


def test_layer_is_built_with_the_package_and_pinned_dependencies() -> None:
    if not LAYER.is_dir():
        pytest.fail('no .aws-sam/build: run `make build` (make test does) before these tests')
    assert (LAYER / 'rx_router/routing.py').is_file()
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
