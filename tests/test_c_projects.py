"""C transforms preserve behaviour: three published C projects keep building and passing their own tests.

heatshrink (a compression library, its Makefile and its two test runners), cJSON (a JSON library, its CMake
build with -std=c89 -pedantic -Werror and its 22 ctest programs) and inih (an INI parser, its unittest.sh
under 14 preprocessor configurations compared with its committed baselines): see
tests/fixtures/c_projects/README.md. For each project and each C transform, every function of the
project's library sources is transformed (seed 0) and the project is rebuilt and tested with its own build;
then twice more with three random transforms composed per function (seeds 0 and 1). Run with `-s` for the
table; `python bench/c_projects.py` prints the same table for docs/TRANSFORMS.md.
"""

from __future__ import annotations

import pytest
from validity.c_projects import PROJECTS, ProjectRun, missing_tools

from metacompress_core.transforms.registry import transforms_for
from metacompress_core.transforms.whole_file import FileResult

pytestmark = pytest.mark.slow  # about 70 builds and test runs: four minutes on two cores

TRANSFORMS = transforms_for("c")
COMPOSE_SEEDS = (0, 1)


@pytest.fixture(scope="module", params=sorted(PROJECTS))
def project_run(request: pytest.FixtureRequest):
    project = PROJECTS[request.param]
    missing = missing_tools(project)
    if missing:
        pytest.skip(f"{project.name} needs {', '.join(missing)} to build")
    run = ProjectRun(project)
    baseline = run.baseline()
    if not baseline.passed:
        run.close()
        pytest.fail(f"{project.name} does not pass its own tests untransformed:\n{baseline.log}")
    yield run
    run.close()


def test_every_c_transform_keeps_the_project_passing_its_tests(project_run: ProjectRun) -> None:
    failures, applied = [], 0
    for transform in TRANSFORMS:
        outcome = project_run.check(transform.name, project_run.transformed(transform, seed=0))
        applied += outcome.functions_changed > 0
        if not outcome.passed:
            failures.append(f"{transform.name} ({outcome.functions_changed} functions):\n{outcome.log}")
    assert not failures, "\n\n".join(failures)
    # The proof means something only if the transforms reach the code: most of them apply somewhere
    # (inih's 11 functions have no switch, no do-while and no splittable last declaration).
    assert applied >= 0.7 * len(TRANSFORMS)


@pytest.mark.parametrize("seed", COMPOSE_SEEDS)
def test_three_composed_transforms_keep_the_project_passing_its_tests(
    project_run: ProjectRun, seed: int
) -> None:
    outcome = project_run.check(f"compose-3 seed {seed}", project_run.composed(list(TRANSFORMS), seed))
    assert outcome.functions_changed >= 0.6 * project_run.project.functions()
    assert outcome.passed, outcome.log


def test_a_broken_variant_fails_the_project_suite() -> None:
    """The harness can fail: a function made to return the wrong value is caught by the project's tests."""
    project = PROJECTS["inih"]
    if missing_tools(project):
        pytest.skip("inih needs gcc to build")
    run = ProjectRun(project)
    try:
        source = run.originals["ini.c"]
        broken = source.replace("return error;", "return error + 1;", 1)
        assert broken != source
        outcome = run.check("broken", {"ini.c": FileResult(broken, ())})
        assert not outcome.passed
        assert run.baseline().passed  # the original is back in place
    finally:
        run.close()
