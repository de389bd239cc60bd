"""Sealed bids: the canonical form of a bid's content, its receipt hash, and encryption at rest.

A bid's content is one JSON document in canonical form (keys sorted, no spaces, UTF-8), so the bidder can
recompute the SHA-256 on its receipt from the content it sent. The document is stored only encrypted with
Fernet (the `cryptography` package: AES-128-CBC with an HMAC-SHA256, so a changed byte is detected, not
decrypted into nonsense) under BID_SEALING_KEY, which comes from the environment (portal/config.py).

`unseal` is the only way back to plaintext, and portal/procurement/bids.py calls it only for a call that
has been opened: the key alone does not decide who reads a bid, the call's state does.
"""
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


def canonical(content: dict) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def receipt_hash(content: dict) -> str:
    """SHA-256 (hex) of the canonical content: what the receipt and the opening record show."""
    return hashlib.sha256(canonical(content)).hexdigest()


def _fernet() -> Fernet:
    return Fernet(current_app.config["BID_SEALING_KEY"].encode())


def seal(content: dict) -> tuple[bytes, str]:
    """(ciphertext to store, receipt hash)."""
    plain = canonical(content)
    return _fernet().encrypt(plain), hashlib.sha256(plain).hexdigest()


def seal_bytes(data: bytes) -> bytes:
    """Encrypt a bid's attached file the same way."""
    return _fernet().encrypt(data)


def unseal(ciphertext: bytes) -> dict:
    try:
        return json.loads(_fernet().decrypt(ciphertext))
    except InvalidToken:
        raise RuntimeError("a sealed bid does not decrypt with BID_SEALING_KEY (wrong key or altered row)") from None


def unseal_bytes(ciphertext: bytes) -> bytes:
    try:
        return _fernet().decrypt(ciphertext)
    except InvalidToken:
        raise RuntimeError("a sealed bid file does not decrypt with BID_SEALING_KEY") from None
