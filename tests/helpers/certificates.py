"""Certificates and PDF signature checks shared by the certificate tests (services and CLI)."""

from __future__ import annotations

import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    NoEncryption,
    pkcs12,
)
from cryptography.x509.oid import NameOID

from tests.conftest import FakeClock


def pdfsig(data: bytes, tmp_path: Path) -> str:
    """What poppler's pdfsig says about ``data`` (an independent PAdES verifier)."""
    if shutil.which("pdfsig") is None:
        pytest.skip("pdfsig is not installed (make setup installs poppler-utils)")
    path = tmp_path / f"check-{time.monotonic_ns()}.pdf"
    path.write_bytes(data)
    result = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60)
    return result.stdout + result.stderr


def pkcs12_file(password: bytes | None, clock: FakeClock, *, expired: bool = False) -> bytes:
    """A PKCS#12 file from a hospital group's CA: valid at the test clock and the wall clock
    (which signs), or ``expired`` before both."""
    now = datetime.now(UTC)
    start = min(now, clock()) - timedelta(days=1)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hospital Group Root")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(1)
          .not_valid_before(start).not_valid_after(now + timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Clinic docs")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(start - timedelta(days=30))
            .not_valid_after(start if expired else now + timedelta(days=365))
            .sign(ca_key, hashes.SHA256()))
    encryption = BestAvailableEncryption(password) if password else None
    return pkcs12.serialize_key_and_certificates(b"docs", key, cert, [ca],
                                                 encryption or NoEncryption())
