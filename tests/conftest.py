"""Shared fixtures: plain tests plot with Agg; chapters are executed once per test run (across
pytest-xdist workers)."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import matplotlib
import nbformat
import pipeline
import pytest
import torch
from nbval.plugin import IPyNbCell, IPyNbFile, coalesce_streams
from xdist.scheduler import LoadScopeScheduling

matplotlib.use("Agg")
BUILD = pipeline.ROOT / "_build"
BOOKS = {"book": pipeline.ROOT, "fixture": pipeline.FIXTURE_BOOK}


def chapters() -> list[tuple[str, Path]]:
    """(book name, notebook) for every chapter of every book's table of contents."""
    return [(name, nb) for name, book in BOOKS.items() for nb in pipeline.toc_chapters(book)]


def chapter_id(value) -> str:
    return f"{value[0]}:{value[1].stem}" if isinstance(value, tuple) else str(value)


def pytest_sessionstart(session):
    """Claims JSON into a temporary folder, sweeps cached in one, quick preset by default
    (before any test or collector set-up: :class:`ReplayedReference` runs chapters too)."""
    tmp_path_factory = session.config._tmp_path_factory  # what the fixture of that name returns
    os.environ["GROKBOOK_CLAIMS_DIR"] = str(tmp_path_factory.mktemp("claims"))
    os.environ["GROKBOOK_CACHE_DIR"] = str(tmp_path_factory.mktemp("sweep-cache"))
    os.environ.setdefault("GROKBOOK_PRESET", "quick")


class ChapterRunFailed(RuntimeError):
    """A chapter's papermill run failed (in this process or another xdist worker)."""


class ChapterRuns:
    """Each chapter executed through papermill at quick at most once per test run, by whichever
    pytest-xdist worker asks first; a worker asking for a chapter that another is executing
    waits for it (file lock) and reads its output notebook.

    ``shared``: a folder of this test run that every worker sees; it holds each run's outcome
    and its claims JSON (:meth:`claims`, where no other execution of the same chapter in this
    test run, a dry run or another test's, can overwrite it). ``env``: variables set for the
    kernel on top of the test run's (another kernel dispatch, say), and ``parameters``
    papermill parameters on top of the quick preset, with ``name`` the folder its runs go to.
    """

    def __init__(
        self,
        shared: Path,
        env: Mapping[str, str] | None = None,
        parameters: Mapping[str, object] | None = None,
        name: str = "executed",
    ):
        self.shared, self.name = shared / name, name
        self.env, self.parameters = dict(env or {}), dict(parameters or {})

    def output(self, book: str, notebook: Path) -> Path:
        return BUILD / "quick" / self.name / book / notebook.name

    def claims(self, book: str, notebook: Path) -> Path:
        """The claims JSON of the chapter's run."""
        return self.shared / "claims" / book / f"{notebook.stem}.json"

    def get(self, book: str, notebook: Path) -> nbformat.NotebookNode:
        output = self.output(book, notebook)
        output.parent.mkdir(parents=True, exist_ok=True)
        done = self.shared / "runs" / book / f"{notebook.name}.done"  # empty, or the failure
        done.parent.mkdir(parents=True, exist_ok=True)
        with open(done.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not done.exists():
                done.write_text(self._execute(book, notebook, output))
        if failure := done.read_text():
            raise ChapterRunFailed(f"{notebook.name} at quick: {failure}")
        return nbformat.read(output, as_version=4)

    def _execute(self, book: str, notebook: Path, output: Path) -> str:
        env = {**self.env, "GROKBOOK_CLAIMS_DIR": str(self.claims(book, notebook).parent)}
        previous = {k: os.environ.get(k) for k in env}
        os.environ.update(env)  # the kernel inherits them
        try:
            pipeline.execute(notebook, output, **self.parameters)
            return ""
        except Exception as error:  # kept, so every test that needs this run reports it
            return f"{type(error).__name__}: {error}"
        finally:
            for k, v in previous.items():
                if v is None:
                    del os.environ[k]
                else:
                    os.environ[k] = v


def shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test run's temporary folder that every xdist worker sees."""
    base = tmp_path_factory.getbasetemp()
    # under xdist each worker's basetemp is <the run's basetemp>/popen-gw<N>
    return base.parent if base.name.startswith("popen-gw") else base


def runs_of(tmp_path_factory: pytest.TempPathFactory, **kwargs) -> ChapterRuns:
    return ChapterRuns(shared_folder(tmp_path_factory), **kwargs)


@pytest.fixture(scope="session")
def chapter_runs(tmp_path_factory) -> ChapterRuns:
    return runs_of(tmp_path_factory)


OTHER_KERNELS = {
    "ATEN_CPU_CAPABILITY": "default",
    "MKL_CBWR": "COMPATIBLE",
    "OPENBLAS_CORETYPE": "Haswell",
}
"""The suite's stand-in for another CPU: torch's elementwise kernels without SIMD, MKL's
compatible code path (torch's BLAS) and OpenBLAS's Haswell kernels (numpy's), in place of the
kernels this CPU would pick."""


@pytest.fixture(scope="session")
def runs_on_other_kernels(tmp_path_factory) -> ChapterRuns:
    """Chapters at quick under :data:`OTHER_KERNELS` with a sweep cache of their own, once per
    test run like ``chapter_runs``; on a machine without CUDA with ``-p device auto`` too (which
    must run on the CPU), so that the end-to-end run of ``auto`` costs no chapter run of its
    own."""
    parameters = {} if torch.cuda.is_available() else {"device": "auto"}
    # a sweep cache of their own: the cache keys on code, point and device, not on the CPU's
    # kernels, so the test run's would hand these runs the ordinary runs' points (or the reverse)
    cache = shared_folder(tmp_path_factory) / "sweep-cache-other-kernels"
    env = {**OTHER_KERNELS, "GROKBOOK_CACHE_DIR": str(cache)}
    return runs_of(tmp_path_factory, env=env, parameters=parameters, name="executed-other-kernels")


class ReplayedReference(IPyNbFile):
    """nbval's regression test of one reference notebook, on the outputs of the suite's own
    papermill run of its chapter (:class:`ChapterRuns`) instead of a second execution in a
    kernel of nbval's: the same collection (a test per code cell, tags and comment markers),
    the same sanitizers (``--nbval-sanitize-with``) and nbval's own comparison, in its lax mode
    (only cells tagged ``nbval-check-output`` are compared)."""

    def __init__(self, *args, book: str, chapter: Path, **kwargs):
        super().__init__(*args, **kwargs)
        self.book, self.chapter = book, chapter
        self.compare_outputs = False  # lax: a cell is compared only when tagged
        self.executed: list[nbformat.NotebookNode] = []

    def setup(self):
        self.setup_sanitize_files()
        executed = runs_of(self.config._tmp_path_factory).get(self.book, self.chapter)
        self.executed = [c for c in executed.cells if c.cell_type == "code"]
        expected = [c.source for c in self.nb.cells if c.cell_type == "code"]
        if [c.source for c in self.executed] != expected:
            raise ValueError(f"{self.path.name}: reference and chapter differ; run `make refs`")

    def collect(self):
        for cell in super().collect():  # nbval's items, with this class's runtest
            yield ReplayedCell.from_parent(
                self, name=cell.name, cell_num=cell.cell_num, cell=cell.cell, options=cell.options
            )


class ReplayedCell(IPyNbCell):
    """One code cell of a :class:`ReplayedReference`: its executed outputs against the
    reference's, as nbval's ``runtest`` compares them after executing the cell."""

    def runtest(self):
        if self.options["skip"]:
            pytest.skip()
        outputs = self.parent.executed[self.cell_num].outputs
        errors = [o for o in outputs if o.output_type == "error"]
        if errors and not self.options["check_exception"]:
            traceback = "\n".join(errors[0].traceback)
            self.raise_cell_error("Cell execution caused an exception", traceback)
        unrun = self.cell.execution_count is None
        if unrun and self.cell.outputs:
            self.raise_cell_error("Unrun reference cell has outputs")
        reference = coalesce_streams(self.cell.outputs)
        if self.options["check"] and not unrun:
            if not self.compare_outputs(coalesce_streams(list(outputs)), reference):
                self.raise_cell_error("Cell outputs differ", "\n".join(self.comparison_traceback))


def pytest_collect_file(file_path: Path, parent):
    """Every book's nbval references (``pipeline.REFERENCES``), as :class:`ReplayedReference`."""
    if file_path.suffix != ".ipynb":
        return None
    for name, book in BOOKS.items():
        if file_path.parent == pipeline.REFERENCES[book]:
            for chapter in pipeline.toc_chapters(book):
                if chapter.name == file_path.name:
                    return ReplayedReference.from_parent(
                        parent, path=file_path, book=name, chapter=chapter
                    )
    return None  # not a reference, or one without a chapter (tests/test_references.py)


BOOK_TESTS = ("tests/test_book.py", "tests/test_pdf.py")
"""The test files whose tests share one built book per book (the ``built_books`` fixture)."""

SHARED_FIXTURE_MODULES = ("tests/methods/test_wang_landau.py",)
"""Test files whose tests share an expensive module-scoped fixture (``harmonic_run``: a WLMD run
of ~15 s), which each worker that gets one of those tests would compute again."""


class SharedStateScheduling(LoadScopeScheduling):
    """pytest-xdist's load scheduling, but tests that share state go to one worker: the cells
    of an nbval reference (their chapter's run, read once), and the tests of one built book
    (``tests/test_book.py::…[fixture]`` and ``tests/test_pdf.py::…[fixture]`` share a build),
    and the tests of a module in :data:`SHARED_FIXTURE_MODULES`. Every other test is a unit of
    its own. (``--dist loadgroup`` would do this with
    ``xdist_group`` marks, but xdist 3.8 records a group in ``item._nodeid``, which pytest 9
    ignores.)"""

    def _split_scope(self, nodeid: str) -> str:
        if "ipynb" in nodeid and "::Cell " in nodeid:  # nbval: "<path>::Cell <n>" (the path's
            return nodeid.split("::Cell ", 1)[0]  # ".ipynb" may read "::ipynb" here)
        path = nodeid.split("::", 1)[0]
        if path in BOOK_TESTS and nodeid.endswith("]"):
            return "built book " + nodeid.rsplit("[", 1)[1].rstrip("]")
        return path if path in SHARED_FIXTURE_MODULES else nodeid


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, absent with -p no:xdist
def pytest_xdist_make_scheduler(config, log):
    return SharedStateScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    """Notebook executions first (the longest tests), the book builds last (they wait for
    every chapter run), so that no worker idles behind them."""

    def order(item) -> int:
        if "built_books" in getattr(item, "fixturenames", ()):
            return 2
        return 0 if item.get_closest_marker("notebook") or item.path.suffix == ".ipynb" else 1

    items.sort(key=order)


@pytest.fixture(scope="session")
def built_books(chapter_runs):
    """Build each book's HTML once: seed its execution cache with the papermill runs, then build.
    Shared by test_book and test_pdf (whose PDF build reuses that cache and Sphinx state)."""
    built = {}

    def build(name: str) -> Path:
        if name not in built:
            book, output = BOOKS[name], BUILD / f"{name}-quick"
            shutil.rmtree(output / "_build", ignore_errors=True)  # every page from this session
            for notebook in pipeline.toc_chapters(book):
                executed = chapter_runs.get(name, notebook)
                pipeline.seed_execution_cache(
                    output / "_build" / ".jupyter_cache", notebook, executed
                )
            result = pipeline.build_book(book, output, preset="quick")
            log = result.stdout[-4000:] + result.stderr[-4000:]
            built[name] = (output / "_build" / "html", result.returncode, log)
        html, code, log = built[name]
        assert code == 0, f"strict build of {name} failed:\n{log}"
        return html

    return build
