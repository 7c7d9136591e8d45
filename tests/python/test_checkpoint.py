"""Whole checkpoints through the package: palettize_checkpoint writes the CLI's bytes and returns
its report; plan, decode and verify give the CLI's documents; configs as paths, dicts and coreai_opt
objects; progress; bad files raise InvalidFileError with the CLI's message."""
import json
import subprocess

import pytest

import kmlut
from conftest import require, run_cli, write_config

SPEC = {"n_bits": 4, "granularity": {"type": "per_grouped_channel", "axis": 0, "group_size": 16}}
CONFIG = {"kmeans_palettization_config": {
    "global_config": {"op_state_spec": {"weight": SPEC}},
    "module_name_configs": {"layers\\.0\\.mlp\\.down_proj": None}}}


def report_rows(report):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in report["tensors"]]


def test_palettize_checkpoint_writes_the_cli_file_and_report(cli, small_checkpoint, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIG))
    cli_out, cli_report = tmp_path / "cli.safetensors", tmp_path / "cli.json"
    run_cli(cli, "palettize", small_checkpoint, cli_out, "--config", config, "--backend", "cpu",
            "--report", cli_report, "--quiet")
    expected = json.loads(cli_report.read_text())
    for form in (config, str(config), CONFIG):
        out = tmp_path / "py.safetensors"
        report = kmlut.palettize_checkpoint(small_checkpoint, out, config=form, backend="cpu",
                                            force=True)
        assert out.read_bytes() == cli_out.read_bytes()
        assert report_rows(report) == report_rows(expected)
        assert report["summary"] == expected["summary"]
        assert report["summary"]["palettized"] == 2  # up_proj and the conv; down_proj disabled


def test_an_existing_output_is_refused_without_force(small_checkpoint, tmp_path):
    out = tmp_path / "out.safetensors"
    out.write_bytes(b"keep")
    with pytest.raises(ValueError, match="already exists"):
        kmlut.palettize_checkpoint(small_checkpoint, out, preset="w8")
    assert out.read_bytes() == b"keep"


def test_plan_equals_kmlut_plan_json(cli, small_checkpoint, tmp_path):
    config = write_config(tmp_path / "c.json", SPEC)
    expected = json.loads(run_cli(cli, "plan", small_checkpoint, "--config", config, "--json"))
    assert kmlut.plan(small_checkpoint, config) == expected["jobs"]
    w4 = json.loads(run_cli(cli, "plan", small_checkpoint, "--preset", "w4", "--json"))
    assert kmlut.plan(small_checkpoint, preset="w4") == w4["jobs"]


def test_decode_and_verify_equal_the_cli(cli, small_checkpoint, tmp_path):
    palettized = tmp_path / "p.safetensors"
    kmlut.palettize_checkpoint(small_checkpoint, palettized, preset="w4", backend="cpu")
    run_cli(cli, "decode", palettized, tmp_path / "cli-dense.safetensors")
    files = kmlut.decode(palettized, tmp_path / "py-dense.safetensors")
    assert files == [str(tmp_path / "py-dense.safetensors")]
    assert ((tmp_path / "py-dense.safetensors").read_bytes() ==
            (tmp_path / "cli-dense.safetensors").read_bytes())
    expected = json.loads(run_cli(cli, "verify", small_checkpoint, palettized, "--json"))
    assert kmlut.verify(small_checkpoint, palettized) == expected


def test_progress_callable_receives_every_tensor(small_checkpoint, tmp_path):
    events = []
    kmlut.palettize_checkpoint(small_checkpoint, tmp_path / "o.safetensors", preset="w4",
                               progress=events.append)
    assert [e.tensors_done for e in events] == list(range(1, 7))
    assert all(e.tensors_total == 6 for e in events)
    assert events[-1].bytes_done == events[-1].bytes_total > 0
    assert {e.current for e in events} == {j["tensor"] for j in kmlut.plan(small_checkpoint)}


def test_progress_true_draws_a_bar_on_stderr(small_checkpoint, tmp_path, capsys):
    kmlut.palettize_checkpoint(small_checkpoint, tmp_path / "o.safetensors", preset="w4",
                               progress=True)
    err = capsys.readouterr().err
    assert "100.0%|" in err and "6/6 tensors" in err


def test_an_exception_in_the_progress_callable_propagates(small_checkpoint, tmp_path):
    def fail(event):
        raise KeyError("stop")
    out = tmp_path / "o.safetensors"
    with pytest.raises(Exception, match="stop"):
        kmlut.palettize_checkpoint(small_checkpoint, out, preset="w4", progress=fail)
    assert not out.exists()


def test_bad_files_raise_invalid_file_error_with_the_cli_message(cli, tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}      ")
    with pytest.raises(kmlut.InvalidFileError) as raised:
        kmlut.plan(bad)
    done = subprocess.run([cli, "plan", str(bad)], capture_output=True, text=True)
    assert done.returncode == 3
    assert f"kmlut: invalid input: {raised.value}" == done.stderr.strip()
    assert not issubclass(kmlut.InvalidFileError, ValueError)


def test_config_errors_raise_value_error_with_the_cli_message(cli, small_checkpoint, tmp_path):
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"kmeans_palettization_config": {"global_config": {
        "op_state_spec": {"weight": {"n_bits": 7}}}}}))
    with pytest.raises(ValueError) as raised:
        kmlut.plan(small_checkpoint, config)
    done = subprocess.run([cli, "plan", str(small_checkpoint), "--config",
                                         str(config)], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.strip() == f"kmlut: {raised.value}"
    with pytest.raises(ValueError, match="give config or preset"):
        kmlut.plan(small_checkpoint, config, preset="w4")


def test_a_coreai_opt_config_object_is_accepted(cli, small_checkpoint, tmp_path):
    palettization = require("coreai_opt.palettization")
    config = palettization.KMeansPalettizerConfig()  # 4-bit per-tensor weights
    dumped = tmp_path / "coreai.json"
    dumped.write_text(json.dumps(config.to_dict()))
    expected = json.loads(run_cli(cli, "plan", small_checkpoint, "--config", dumped, "--json"))
    jobs = kmlut.plan(small_checkpoint, config)
    assert jobs == expected["jobs"] and sum(job["spec"] is not None for job in jobs) == 3
