"""Encrypts each string of a JSON object the way LiteLLM stores a model's litellm_params.

    python3 litellm_encrypt.py SIGNING_KEY < params.json > encrypted.json

LiteLLM's encrypt_value_helper: a NaCl secretbox under the SHA-256 of the signing key (its
LITELLM_SALT_KEY, else its master key), the 24-byte nonce before the box, standard base64. Written
with libsodium through ctypes (PyNaCl wraps the same library), so the tests hold llmux to
LiteLLM's format without using llmux's own code.
"""
import base64
import ctypes
import ctypes.util
import hashlib
import json
import os
import sys

sodium = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
if sodium.sodium_init() < 0:
    sys.exit("libsodium cannot be initialised")


def encrypt(value: str, signing_key: str) -> str:
    key = hashlib.sha256(signing_key.encode()).digest()
    nonce = os.urandom(24)
    message = value.encode()
    box = ctypes.create_string_buffer(16 + len(message))
    sodium.crypto_secretbox_easy(box, message, ctypes.c_ulonglong(len(message)), nonce, key)
    return base64.b64encode(nonce + box.raw).decode()


params = json.load(sys.stdin)
json.dump({k: encrypt(v, sys.argv[1]) if isinstance(v, str) else v for k, v in params.items()},
          sys.stdout)
