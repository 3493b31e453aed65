"""The errors corridorsim raises: one line per problem, whatever the input held."""

from __future__ import annotations

import pytest

from corridorsim.errors import MAX_LINE_CHARS, InputError, ParameterError, one_line


def test_every_problem_is_one_line() -> None:
    error = InputError(["f.yaml:3: cargo: no cargo 'a\nb\x1e'", "second"])
    assert error.problems == ("f.yaml:3: cargo: no cargo 'a\\nb\\x1e'", "second")
    assert str(error).count("\n") == 1  # one line per problem, joined


def test_a_huge_value_keeps_the_start_and_the_end_of_its_line() -> None:
    line = "f.yaml:3: network_changes.open[0]: no link '" + "x" * 5000 + "' (closest: A-B)"
    (shown,) = InputError(line).problems
    assert len(shown) == MAX_LINE_CHARS
    assert shown.startswith("f.yaml:3: network_changes.open[0]: no link 'xxx")
    assert shown.endswith("' (closest: A-B)") and " ... " in shown


def test_printable_text_is_left_as_it_is() -> None:
    assert one_line("Ayrum: 12 h\tqueue") == "Ayrum: 12 h\tqueue"


def test_a_parameter_error_names_the_parameter_in_each_message() -> None:
    with pytest.raises(ParameterError, match=r"^jobs: must be at least 1") as caught:
        raise ParameterError("jobs", "must be at least 1 (got 0)")
    assert caught.value.param == "jobs"
    several = ParameterError("open_links", ["no link 'A'", "no link 'B'"])
    assert several.problems == ("open_links: no link 'A'", "open_links: no link 'B'")
    assert isinstance(several, InputError) and isinstance(several, ValueError)
