import pytest

from activellm.prompts.answers import AnswerError, numbers_to_positions, read_index_list, write_index_list


def _list(tmp_path, text):
    path = tmp_path / "list_1.txt"
    path.write_text(text)
    return path


def test_commas_white_space_and_newlines(tmp_path):
    assert read_index_list(_list(tmp_path, "3, 1,4\n1 5\n9 2"), 3) == [3, 1, 4]
    assert read_index_list(_list(tmp_path, "0 1\t2\n"), 3) == [0, 1, 2]


def test_longer_list_uses_the_first_n(tmp_path):
    assert read_index_list(_list(tmp_path, "5, 6, 7, 8, 5"), 4) == [5, 6, 7, 8]


@pytest.mark.parametrize("text, n, fragment", [
    ("1, 2, three, 4", 3, "three"),
    ("1, 2.5, 3", 2, "2.5"),
    ("1, -2, 3", 3, "-2"),
    ("1, 2, 1", 3, "repeated"),
    ("1, 2", 3, "holds 2 numbers but 3"),
])
def test_bad_entries_are_named(tmp_path, text, n, fragment):
    path = _list(tmp_path, text)
    with pytest.raises(AnswerError) as error:
        read_index_list(path, n)
    assert fragment in str(error.value) and str(path) in str(error.value)


def test_missing_file_says_how_to_make_one(tmp_path):
    with pytest.raises(AnswerError, match="--parse-answer"):
        read_index_list(tmp_path / "list_9.txt", 3)


def test_out_of_range_numbers(tmp_path):
    with pytest.raises(AnswerError, match="beyond the pool of 10 rows: 10, 12"):
        numbers_to_positions([1, 10, 12], tmp_path / "list_1.txt", pool_size=10)


def test_numbers_map_through_a_sidecar(tmp_path):
    number_map = {0: 0, 1: 2, 2: 3}  # row 1 was a skipped duplicate
    assert numbers_to_positions([2, 1], tmp_path / "l", 10, number_map) == [3, 2]
    with pytest.raises(AnswerError, match="did not show: 5"):
        numbers_to_positions([5], tmp_path / "l", 10, number_map)


def test_written_list_reads_back(tmp_path):
    write_index_list(tmp_path / "list_2.txt", [4, 0, 9])
    assert (tmp_path / "list_2.txt").read_text() == "4, 0, 9\n"
    assert read_index_list(tmp_path / "list_2.txt", 3) == [4, 0, 9]
