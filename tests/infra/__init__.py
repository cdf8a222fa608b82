"""Tests of the test infrastructure itself: the outside components are usable."""
