"""Local servers that speak the Chinese providers' APIs and check their signatures, for the tests."""
