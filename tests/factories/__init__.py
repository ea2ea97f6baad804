"""Shared test factories: small databases, sites, photos, accounts, shelves and samples, defined
once and imported by the tests of every room."""
