"""history.jsonl across a restart: each step once."""
import json

from tasnet_jax.reporting import Reporter


def test_a_resumed_run_drops_the_rows_it_will_log_again(tmp_path):
    rows = [{"step": step, "loss": -step} for step in (10, 20, 30, 40, 50)]
    rows.append({"step": 30, "test_si_snr": 9.0})  # a test phase the kill interrupted
    (tmp_path / "history.jsonl").write_text(
        "".join(json.dumps(row) + "\n" for row in rows) + '{"step": 60, "lo')  # cut mid-write
    report = Reporter(tmp_path, enabled=True, start_step=30)
    report.scalars(40, {"loss": -40.5})
    report.close()
    written = [json.loads(line) for line in (tmp_path / "history.jsonl").open()]
    assert written == rows[:3] + [{"step": 40, "loss": -40.5}]


def test_a_fresh_run_starts_an_empty_history(tmp_path):
    (tmp_path / "history.jsonl").write_text('{"step": 10, "loss": 1.0}\n')  # killed before a checkpoint
    Reporter(tmp_path, enabled=True).close()
    assert (tmp_path / "history.jsonl").read_text() == ""
