"""Password hashing cost (issue #21): argon2id within OWASP's guidance, cheap enough that 25
supervisors signing in at once do not wait on each other's hashes."""

from __future__ import annotations

from argon2 import PasswordHasher, Type, extract_parameters

from pipeline.access import passwords

OWASP_MINIMUM = {"memory_cost": 19 * 1024, "time_cost": 2, "parallelism": 1}  # argon2id


def test_the_cost_in_force_is_owasps_argon2id_setting():
    assert passwords.COST == OWASP_MINIMUM
    made = extract_parameters(PasswordHasher(**passwords.COST).hash("correct horse battery"))
    assert made.type is Type.ID
    assert (made.memory_cost, made.time_cost, made.parallelism) == (19 * 1024, 2, 1)


def test_hashes_of_the_old_default_are_made_again_at_the_next_sign_in(monkeypatch):
    monkeypatch.setattr(passwords, "hasher", PasswordHasher(**passwords.COST))
    old_default = PasswordHasher().hash("correct horse battery")  # argon2-cffi: 64 MiB, t=3, p=4
    assert passwords.needs_rehash(old_default)
    assert passwords.verify_password(old_default, "correct horse battery")
    assert not passwords.needs_rehash(passwords.hash_password("correct horse battery"))
