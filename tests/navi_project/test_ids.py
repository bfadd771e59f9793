"""navi_project.ids: an id from a path or a message is parsed once, and a malformed one is a 404."""

from __future__ import annotations

import uuid

import pytest

from navi_project.errors import ApplicationError
from navi_project.ids import id_parse


def test_a_uuid_passes_through_and_its_text_in_any_case_parses_to_it():
    key = uuid.uuid4()
    assert id_parse(key, not_found="Session not found") is key
    assert id_parse(str(key).upper(), not_found="Session not found") == key


@pytest.mark.parametrize("raw", ["", "not-a-uuid", "1234", "../etc", None, 42, "0" * 33])
def test_a_malformed_id_is_the_404_of_a_missing_one_with_the_callers_message(raw):
    with pytest.raises(ApplicationError) as caught:
        id_parse(raw, not_found="User not found")
    assert (caught.value.status, caught.value.message) == (404, "User not found")
