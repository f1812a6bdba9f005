"""The app started by the e2e tests is measured by coverage, and saves what it measured on SIGTERM."""

import pytest
from coverage import CoverageData

from tests.e2e.harness import ROOT, AppProcess

pytestmark = pytest.mark.e2e


async def test_the_app_saves_its_coverage_when_stopped_with_sigterm(tmp_path, slack, pd):
    rc = tmp_path / "coveragerc"
    rc.write_text(f"[run]\nsource = roundrobin\nparallel = true\ndata_file = {tmp_path / 'measured'}\n")
    app = AppProcess(tmp_path, slack.api_url, pd.url, COVERAGE_PROCESS_START=str(rc))
    app.env.pop("COVERAGE_PROCESS_CONFIG", None)  # this run's own settings, not make test's
    await app.start()
    assert await app.stop() == 0  # SIGTERM: the app stops cleanly, so coverage's exit hook runs

    # coverage writes its data only as the process exits: the file is there only after a clean exit
    [data_file] = tmp_path.glob("measured.*")
    data = CoverageData(basename=str(data_file))
    data.read()
    assert str(ROOT / "roundrobin" / "main.py") in data.measured_files()
    assert str(ROOT / "roundrobin" / "web.py") in data.measured_files()
