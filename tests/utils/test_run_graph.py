"""pointcept_csp.utils.run_graph: runs wait for what they need and are skipped when it failed, a finished run is not
redone, a cached run made by another command is refused by name, and `echo` shows the lines it picks."""

import os

import pytest

from pointcept_csp.utils.run_graph import RunGraph


def writer(log, word: str, sleep: float = 0.0) -> list[str]:
    return ["-c", f"import time; time.sleep({sleep}); open({str(log)!r}, 'a').write('{word}\\n')"]


def test_runs_wait_for_their_needs_and_skip_after_a_failure(tmp_path):
    graph, log = RunGraph(str(tmp_path)), tmp_path / "order.txt"
    first = graph.add("first", writer(log, "first", sleep=0.5))
    graph.add("second", writer(log, "second"), [first])
    broken = graph.add("broken", ["-c", "raise SystemExit(3)"])
    after_broken = graph.add("after-broken", writer(log, "after-broken"), [broken])
    failed = graph.execute(2)
    assert log.read_text().split() == ["first", "second"]
    assert failed == [broken, after_broken] and not os.path.exists(tmp_path / after_broken.done_marker)
    assert (tmp_path / "broken" / "run.log").is_file() and (tmp_path / first.done_marker).is_file()


def test_a_finished_run_is_not_redone_and_one_made_by_another_command_is_refused(tmp_path):
    log = tmp_path / "order.txt"
    graph = RunGraph(str(tmp_path))
    graph.add("result.json", writer(log, "once"))
    assert graph.execute() == []
    assert (tmp_path / "result.json.done").read_text().strip() == graph.runs["result.json"].recorded_command
    again = RunGraph(str(tmp_path))
    again.add("result.json", writer(log, "once"))
    again.execute()
    assert log.read_text().split() == ["once"]
    changed = RunGraph(str(tmp_path))
    changed.add("result.json", writer(log, "other"))
    with pytest.raises(ValueError, match="result.json was finished by another command"):
        changed.execute()
    assert log.read_text().split() == ["once"]
    fresh = RunGraph(str(tmp_path), reuse=False)  # the demo: every phase runs again
    fresh.add("result.json", writer(log, "other"))
    fresh.execute()
    assert log.read_text().split() == ["once", "other"]


def test_one_path_declared_with_two_commands_is_refused(tmp_path):
    graph = RunGraph(str(tmp_path))
    graph.add("run", ["-c", "pass"])
    assert graph.add("run", ["-c", "pass"]) is graph.runs["run"]
    with pytest.raises(ValueError, match="declared twice"):
        graph.add("run", ["-c", "print(1)"])


def test_echo_shows_the_lines_it_picks_and_the_log_keeps_all(tmp_path, capsys):
    graph = RunGraph(str(tmp_path))
    show = graph.add(
        "run",
        ["-c", "print('hidden'); print('Train: step 1')"],
        echo=lambda line: line.strip() if "Train" in line else None,
    )
    graph.execute()
    out = capsys.readouterr().out
    assert "Train: step 1" in out and "hidden" not in out
    assert (tmp_path / show.log).read_text().split("\n")[:2] == ["hidden", "Train: step 1"]


def test_a_driver_lists_its_runs_or_exits_naming_the_failed_ones(tmp_path, capsys):
    graph = RunGraph(str(tmp_path))
    graph.add("fine", ["-c", "pass"])
    graph.add("broken", ["-c", "raise SystemExit(3)"])
    graph.run_or_list(dry_run=True)
    assert "to run  broken" in capsys.readouterr().out and not (tmp_path / "fine").exists()
    with pytest.raises(SystemExit, match="1 runs failed or were skipped: broken"):
        graph.run_or_list()
    assert (tmp_path / "fine" / "done").is_file()
