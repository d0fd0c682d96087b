"""The GitHub client against GitHub's published OpenAPI description (Prism on 127.0.0.1):
every request the tool makes validates, and each documented answer is handled."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from webhooks import Receiver, webhooks  # noqa: F401

from contracts import GITHUB_SPEC, ContractProxy, github_api, github_prism  # noqa: F401
from release.ops.forge import ForgeError, GitHub, GitLab

pytestmark = pytest.mark.services

REPO = "octo-org/widget"
RELEASES = "/repos/octo-org/widget/releases"
TOKEN = "ghp_" + "C0ntractT3st" * 3


def _example_release() -> dict[str, Any]:
    """The release the description documents for `GET .../releases/tags/{tag}`."""
    spec = json.loads(GITHUB_SPEC.read_text("utf-8"))
    answer = spec["paths"]["/repos/{owner}/{repo}/releases/tags/{tag}"]["get"]["responses"]["200"]
    examples = answer["content"]["application/json"]["examples"]
    example = next(iter(examples.values()))
    if "$ref" in example:
        example = spec["components"]["examples"][example["$ref"].rsplit("/", 1)[1]]
    value: dict[str, Any] = example["value"]
    return value


def request_violations(api: ContractProxy) -> list[Any]:
    return [
        (e.method, e.path, v)
        for e in api.exchanges
        for v in e.violations
        if v.get("location", [""])[0] == "request"
    ]


@pytest.fixture
def github(github_api: ContractProxy) -> GitHub:  # noqa: F811
    return GitHub("github", github_api.url, REPO, TOKEN)


def test_access_check_reads_the_repository(github: GitHub, github_api: ContractProxy) -> None:  # noqa: F811
    github.check_access()
    assert github_api.calls() == [f"GET /repos/{REPO} 200"]
    sent = github_api.exchanges[0].headers
    assert sent["Authorization"] == f"Bearer {TOKEN}" and sent["Accept"] == "application/json"
    assert request_violations(github_api) == []


@pytest.mark.parametrize(("status", "fix"), [(403, "contents: write"), (404, "repository")])
def test_access_refused_says_how_to_fix(
    github: GitHub,
    github_api: ContractProxy,  # noqa: F811
    status: int,
    fix: str,
) -> None:
    github_api.prefer[("GET", f"/repos/{REPO}")] = status
    with pytest.raises(ForgeError) as caught:
        github.check_access()
    problem = caught.value.problems[0]
    assert f"answered {status}" in problem.what and fix in problem.fix
    assert TOKEN not in str(caught.value)


def test_create_then_attach_then_delete(
    github: GitHub,
    github_api: ContractProxy,  # noqa: F811
    tmp_path: Path,
) -> None:
    release, made = github.create("v1.3.0", "v1.3.0", "- Greet loudly.", prerelease=True)
    assert made and release.id
    wheel = tmp_path / "widget-1.3.0-py3-none-any.whl"
    wheel.write_bytes(b"PK\x03\x04 not really a wheel")
    github.upload(release, wheel)
    github.delete(release)
    assert github_api.calls() == [
        f"POST {RELEASES} 201",
        f"POST {RELEASES}/{release.id}/assets 201",
        f"DELETE {RELEASES}/{release.id} 204",
    ]
    created, upload, _ = github_api.exchanges
    assert json.loads(created.body) == {
        "tag_name": "v1.3.0",
        "name": "v1.3.0",
        "body": "- Greet loudly.",
        "draft": False,
        "prerelease": True,
    }
    assert upload.path.endswith(f"?name={wheel.name}") and upload.body == wheel.read_bytes()
    assert upload.headers["Content-Type"] == "application/octet-stream"
    assert request_violations(github_api) == []


def test_a_request_that_breaks_the_contract_is_caught(github_api: ContractProxy) -> None:  # noqa: F811
    """The proxy sees Prism's violations: a create without its required tag is one."""
    broken = GitHub("github", github_api.url, REPO, TOKEN)
    status, _ = broken._call("POST", f"{RELEASES}", {"name": "no tag"})
    assert status == 422
    assert any("tag_name" in v[2]["message"] for v in request_violations(github_api))


def test_422_is_done_only_when_the_existing_release_matches(
    github: GitHub,
    github_api: ContractProxy,  # noqa: F811
) -> None:
    example = _example_release()
    github_api.prefer[("POST", RELEASES)] = 422
    found, made = github.create(
        example["tag_name"], example["name"], example["body"], example["prerelease"]
    )
    assert not made and found.tag == example["tag_name"]
    assert github_api.calls() == [
        f"POST {RELEASES} 422",
        f"GET {RELEASES}/tags/{example['tag_name']} 200",
    ]
    with pytest.raises(ForgeError, match="a different release already exists"):
        github.create(example["tag_name"], example["name"], "other notes", False)
    assert request_violations(github_api) == []


def test_422_without_a_release_is_an_error(github: GitHub, github_api: ContractProxy) -> None:  # noqa: F811
    github_api.prefer[("POST", RELEASES)] = 422
    github_api.prefer[("GET", f"{RELEASES}/tags/.*")] = 404
    with pytest.raises(ForgeError, match="answered 422"):
        github.create("v1.3.0", "v1.3.0", "notes", False)


def test_404s_are_answers(github: GitHub, github_api: ContractProxy) -> None:  # noqa: F811
    github_api.prefer[("GET", f"{RELEASES}/tags/.*")] = 404
    assert github.release("v9.9.9") is None
    github_api.prefer[("POST", RELEASES)] = 404
    with pytest.raises(ForgeError) as caught:
        github.create("v1.3.0", "v1.3.0", "notes", False)
    assert "answered 404" in caught.value.problems[0].what
    assert "targets.github.repository" in caught.value.problems[0].fix
    github_api.prefer[("DELETE", f"{RELEASES}/.*")] = 404
    release = github.release("v9.9.9")
    assert release is None
    assert request_violations(github_api) == []


def test_401_is_not_in_the_description(github: GitHub, github_api: ContractProxy) -> None:  # noqa: F811
    """GitHub answers 401 for a bad token, but the description documents no 401 for these
    operations; Prism refuses to invent one, and the client reports whatever it gets."""
    github_api.prefer[("GET", f"/repos/{REPO}")] = 401
    with pytest.raises(ForgeError) as caught:
        github.check_access()
    assert "is not defined in the document" in str(caught.value)


# GitLab: its OpenAPI description (doc/api/openapi/openapi_v2.yaml in gitlab-org/gitlab)
# covers the releases operations, but no copy can be installed here (no package ships it,
# and gitlab.com is out of reach), so no contract is served. What the client sends is
# checked against the documented REST API (docs.gitlab.com/api/releases) by a receiver that
# records requests and answers one fixed status: no behaviour is faked.


def test_gitlab_requests_follow_the_documented_api(
    webhooks: tuple[Receiver, Receiver, Receiver],  # noqa: F811
) -> None:
    _, answers_500, _ = webhooks
    answers_404 = Receiver(status=404).start()
    try:
        job = GitLab("gitlab", answers_404.url("/api/v4"), "group/sub/app", "job-" + "t" * 20, True)
        assert job.release("v1.3.0") is None  # 404: no release yet
        personal = GitLab(
            "gitlab", answers_500.url("/api/v4"), "group/sub/app", "glpat-" + "x" * 20
        )
        with pytest.raises(ForgeError, match="answered 500"):
            personal.create("v1.3.0", "v1.3.0", "- Loud.", [("app 1.3.0 on pypi", "https://p/")])
    finally:
        answers_404.stop()
    ((method, path, headers),) = answers_404.requests
    assert (method, path) == ("GET", "/api/v4/projects/group%2Fsub%2Fapp/releases/v1.3.0")
    assert headers["job-token"] == "job-" + "t" * 20 and "private-token" not in headers
    ((method, path, headers),) = answers_500.requests
    assert (method, path) == ("POST", "/api/v4/projects/group%2Fsub%2Fapp/releases")
    assert headers["private-token"].startswith("glpat-") and "job-token" not in headers
    assert answers_500.received[0][1] == {
        "tag_name": "v1.3.0",
        "name": "v1.3.0",
        "description": "- Loud.",
        "assets": {
            "links": [{"name": "app 1.3.0 on pypi", "url": "https://p/", "link_type": "package"}]
        },
    }
