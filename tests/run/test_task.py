"""The warm path's papermill engine: the executed notebook written once at the end, and as it stopped on a failure; its client's outputs and readiness."""

from __future__ import annotations

import asyncio
import datetime
import json
import queue
import time

import dateutil.parser
import nbformat
import papermill
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, output_from_msg
from papermill import engines as pm_engines
from papermill import execute as pm_execute

from planlib.run import task


def _source(tmp_path):
    params = new_code_cell('region = "HQ"')
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[new_markdown_cell("# t"), params, new_code_cell("print(region)"),
                             new_code_cell("1 + 1")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "t.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture()
def fake_kernel(monkeypatch):
    """The engine's cells run by a stand-in for nbclient (no kernel), which may stop at a cell; writes counted."""
    engine = pm_engines.papermill_engines.get_engine(task.papermill_engine())
    state = {"stop_at": None, "sleep": 0.0, "writes": []}

    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        for index, cell in enumerate(nb_man.nb.cells):
            nb_man.cell_start(cell, index)
            time.sleep(state["sleep"])
            if index == state["stop_at"]:
                raise RuntimeError("Kernel died")
            if cell.cell_type == "code":
                cell.execution_count = index
                cell.outputs = [new_output("stream", name="stdout", text=f"cell {index}\n")]
            nb_man.cell_complete(cell, index)

    monkeypatch.setattr(engine, "execute_managed_notebook", classmethod(execute_managed_notebook))
    for module in (pm_engines, pm_execute):  # the engine's saves, and papermill's own writes
        original = module.write_ipynb

        def counted(nb, path, original=original, where=module.__name__):
            state["writes"].append((where, [c.get("execution_count") for c in nb.cells if c.cell_type == "code"]))
            return original(nb, path)

        monkeypatch.setattr(module, "write_ipynb", counted)
    return state


def _execute(tmp_path, **kwargs):
    return papermill.execute_notebook(str(_source(tmp_path)), str(tmp_path / "out.ipynb"),
                                      engine_name=task.papermill_engine(), parameters={"region": "K1"},
                                      kernel_name="python3", progress_bar=False, **kwargs)


def test_a_notebook_is_written_once_when_it_ends(tmp_path, fake_kernel):
    nb = _execute(tmp_path)
    assert fake_kernel["writes"] == [("papermill.execute", [1, 2, 3, 4])]  # papermill's write at the end, alone
    on_disk = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert on_disk == nb and on_disk.cells[3].outputs[0].text == "cell 3\n"
    assert [c.metadata.papermill["status"] for c in on_disk.cells] == ["completed"] * 5
    assert on_disk.metadata.papermill["parameters"] == {"region": "K1"} and on_disk.cells[2].metadata.tags == [
        "injected-parameters"]


def test_a_notebook_stopped_by_an_exception_is_written_as_it_stopped(tmp_path, fake_kernel):
    fake_kernel["stop_at"] = 3
    with pytest.raises(RuntimeError, match="Kernel died"):
        _execute(tmp_path)
    assert fake_kernel["writes"] == [("papermill.engines", [1, 2, None, None])]
    cells = json.loads((tmp_path / "out.ipynb").read_text(encoding="utf-8"))["cells"]
    assert [c["metadata"]["papermill"]["status"] for c in cells] == ["completed"] * 3 + ["running", "completed"]  # papermill marks the rest completed
    assert cells[2]["outputs"][0]["text"] == ["cell 2\n"]  # the task's failure report reads the executed cells
    assert task._executed_any(tmp_path / "out.ipynb") and task._failed_cell(tmp_path / "out.ipynb") == 2


def test_a_long_notebook_is_written_on_papermills_autosave_clock(tmp_path, fake_kernel):
    fake_kernel["sleep"] = 0.06
    _execute(tmp_path, autosave_cell_every=0.05)
    engine = [counts for where, counts in fake_kernel["writes"] if where == "papermill.engines"]
    assert len(engine) >= 4  # the cells' starts and ends, each past the clock
    assert fake_kernel["writes"][-1] == ("papermill.execute", [1, 2, 3, 4])


def test_a_cells_duration_is_its_end_less_its_start(tmp_path, fake_kernel):
    fake_kernel["sleep"] = 0.02
    nb = _execute(tmp_path)
    for cell in nb.cells:
        meta = cell.metadata.papermill
        start, end = (datetime.datetime.fromisoformat(meta[k]) for k in ("start_time", "end_time"))
        assert meta["duration"] == (end - start).total_seconds() and meta["duration"] >= 0.02
        assert dateutil.parser.parse(meta["start_time"]) == start  # papermill's parse: the same instant


_MESSAGES = [
    ("execute_result", {"metadata": {"m": 1}, "data": {"text/plain": "2", "text/html": "<b>2</b>"}, "execution_count": 4}),
    ("display_data", {"metadata": {"image/png": {"width": 3}}, "data": {"image/png": "iVBOR", "text/plain": "<Figure>"},
                      "transient": {"display_id": "x"}}),
    ("stream", {"name": "stderr", "text": "warn\n"}),
    ("error", {"ename": "ValueError", "evalue": "bad", "traceback": ["line 1", "line 2"]}),
]


@pytest.mark.parametrize(("msg_type", "content"), _MESSAGES)
def test_an_output_is_the_node_nbformat_makes_of_its_message(msg_type, content):
    msg = {"header": {"msg_type": msg_type}, "msg_type": msg_type, "content": content, "parent_header": {}}
    node, expected = task._output_node(msg), output_from_msg(msg)
    assert node == expected and json.dumps(node) == json.dumps(expected)  # the same keys, in the same order
    assert all(type(node[k]) is type(expected[k]) for k in expected)


def test_an_output_is_validated_with_its_notebook_and_a_non_output_is_refused():
    msg = {"header": {"msg_type": "display_data"}, "content": {"metadata": {}, "data": {"text/plain": 3}}}
    with pytest.raises(nbformat.ValidationError):
        output_from_msg(msg)  # nbformat validates each output as it arrives
    node = task._output_node(msg)
    assert node.data == {"text/plain": 3}  # here the whole notebook is, once it has run
    nb = new_notebook(cells=[new_markdown_cell("# t"), new_code_cell("1", execution_count=1),
                             new_code_cell("show()", execution_count=2)])
    assert task._invalid_output(nb) is None
    nb.cells[2].outputs = [node]
    error = task._invalid_output(nb)
    assert error["cell"] == 2 and error["ename"] == "NotebookValidationError" and "3 is not valid" in error["evalue"]
    with pytest.raises(ValueError, match="Unrecognized output msg type: 'status'"):
        task._output_node({"header": {"msg_type": "status"}, "content": {"execution_state": "idle"}})


class _Channel:
    def __init__(self, messages):
        self.messages = messages

    async def get_msg(self, timeout=None):
        if not self.messages:
            await asyncio.sleep(timeout)
            raise queue.Empty
        return self.messages.pop(0)


class _Client:
    """A kernel client whose kernel answers each kernel_info request; IOPub connects at the ``connects``-th."""

    def __init__(self, connects):
        self.shell_channel, self.iopub_channel = _Channel([]), _Channel([])
        self.sent, self.connects, self.handled = [], connects, None

    def kernel_info(self):
        msg_id = f"info-{len(self.sent)}"
        self.sent.append(msg_id)
        parent = {"msg_id": msg_id}
        self.shell_channel.messages.append({"parent_header": parent, "msg_type": "kernel_info_reply",
                                            "content": {"protocol_version": "5.3"}})
        if len(self.sent) >= self.connects:
            self.iopub_channel.messages += [
                {"parent_header": {"msg_id": "reset"}, "msg_type": "status", "content": {"execution_state": "idle"}},
                {"parent_header": parent, "msg_type": "status", "content": {"execution_state": "busy"}},
                {"parent_header": parent, "msg_type": "status", "content": {"execution_state": "idle"}}]
        return msg_id

    def _handle_kernel_info_reply(self, msg):
        self.handled = msg

    async def _async_is_alive(self):
        return True


def test_a_client_is_ready_at_its_requests_idle_status_without_waiting_for_silence():
    kc = _Client(connects=1)
    t0 = time.monotonic()
    asyncio.run(task._wait_for_ready(kc, timeout=10))
    assert time.monotonic() - t0 < 0.15  # jupyter_client waits 0.2 s of silence on IOPub after the idle status
    assert kc.sent == ["info-0"] and kc.handled["parent_header"]["msg_id"] == "info-0"
    assert kc.iopub_channel.messages == [] and kc.shell_channel.messages == []  # IOPub drained


def test_a_client_asks_again_until_iopub_is_connected():
    kc = _Client(connects=3)  # the first two requests' IOPub messages are published before the subscription
    asyncio.run(task._wait_for_ready(kc, timeout=10))
    assert kc.sent == ["info-0", "info-1", "info-2"] and kc.handled["parent_header"]["msg_id"] == "info-2"


def test_a_client_whose_kernel_never_answers_times_out():
    kc = _Client(connects=99)
    with pytest.raises(RuntimeError, match="Kernel didn't respond in 0.3 seconds"):
        asyncio.run(task._wait_for_ready(kc, timeout=0.3))
