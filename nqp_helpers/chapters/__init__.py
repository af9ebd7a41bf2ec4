"""Report modules: the computation behind one chapter each, tested in tests/test_<module>.py."""
