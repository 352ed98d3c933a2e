"""Each GitHub role trusts exactly the jobs that must assume it (issue 9 items 2 and 4, issue 11 item 3).

The example kits, and a variant with the IDs on a branch other than main, are rendered; their
bootstrap roles are applied to the local AWS emulator and each trust policy is read back from its IAM
API, then judged against GitHub OIDC tokens: the ones GitHub gives the kit's build, plan, deploy and
rollback jobs must be accepted, and every other token of a large table must be refused: pull
requests, other branches, tags, other workflow files, other environments, other repositories,
recycled names (same name, other IDs), and the name-only or GitHub-default subjects when the kit
pins the IDs.

The judge is ``allows`` below, an evaluator of AWS IAM's rules for a role trust policy and an
``sts:AssumeRoleWithWebIdentity`` request, written here because @cloud-copilot/iam-simulate (which
tests/iam_eval/ holds for identity policies) does not know the GitHub condition keys: it reports
``token.actions.githubusercontent.com:sub`` and ``:aud`` as ignoredContextKeys and, in strict mode,
denies every request. The IAM rules it follows (IAM User Guide, "Policy evaluation logic",
"Condition operators", "IAM JSON policy elements: Condition"):
- an explicit Deny in a matching statement wins; else a matching Allow allows; else implicit deny;
- a statement matches when its Action (or list; `*`/`?` wildcards, case-insensitive) covers the
  action, its Principal names the federated provider, and every condition holds;
- within Condition, every operator block must hold (AND); within a block, every key (AND); within a
  key, any of its values (OR); a key the request does not carry fails the condition (no IfExists);
- condition key names are case-insensitive, values case-sensitive;
- StringEquals compares exactly; StringLike matches `*` (any run of characters, empty included, `:`
  and `/` too) and `?` (exactly one character), every other character literally;
- anything else (NotAction, NotPrincipal, other operators, set operators, policy variables `${}`) is
  refused with an error rather than guessed at.

How GitHub renders the subject (the only GitHub claim IAM can match, with the audience) is ``Token.sub``,
after GitHub Docs, "OpenID Connect reference": the default `repo:OWNER/REPO:<context>`; the immutable
default of repositories created or renamed since 2026-07-15, `repo:OWNER@OWNER_ID/REPO@REPO_ID:<context>`;
and a customised template, its claims joined as `key:value` in template order, `context` rendered as
`environment:<name>`, `pull_request` or `ref:<ref>`, and a `:` inside a value as %3A ("Customizing the
subject claims for an organization or repository").
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.render import new
from tests.emulator import create_hosted_zones, offline_terraform, running_emulator, sh, terraform_env
from tests.helpers import EXAMPLES, load_yaml, require_tool

HOST = "token.actions.githubusercontent.com"
ACTION = "sts:AssumeRoleWithWebIdentity"
AUDIENCE = "sts.amazonaws.com"

# The examples, and shop's config with a release branch: IDs on a branch other than main.
VARIANTS = {"shop-release": ("shop", {"deploy_branch": "release/2026"})}
KITS = sorted([example.name for example in EXAMPLES] + list(VARIANTS))


################################################################################
# The IAM evaluator
################################################################################


class Unsupported(Exception):
    """A policy element the evaluator does not judge (it refuses rather than guesses)."""


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _like(pattern: str, value: str) -> bool:
    """IAM's StringLike: `*` any run of characters, `?` one character, the rest literal (no `[]`)."""
    if "${" in pattern:
        raise Unsupported(f"policy variable in {pattern!r}")
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.S) is not None


def _action_matches(patterns: Any, action: str) -> bool:
    return any(_like(str(p).lower(), action.lower()) for p in _listed(patterns))


def _conditions_hold(conditions: dict[str, Any], context: dict[str, str]) -> bool:
    request = {key.lower(): value for key, value in context.items()}
    for operator, block in conditions.items():
        if operator not in ("StringEquals", "StringLike"):
            raise Unsupported(f"condition operator {operator}")
        for key, expected in block.items():
            actual = request.get(key.lower())
            if actual is None:
                return False
            values = [str(v) for v in _listed(expected)]
            if operator == "StringEquals":
                if any("${" in v for v in values):
                    raise Unsupported(f"policy variable in {values}")
                if actual not in values:
                    return False
            elif not any(_like(v, actual) for v in values):
                return False
    return True


def allows(trust: dict[str, Any], provider: str, context: dict[str, str], action: str = ACTION) -> bool:
    """Whether the role trust policy ``trust`` lets the web identity of ``provider``, with the claims
    ``context`` (condition key -> value), call ``action`` on the role (see the module docstring)."""
    allowed = False
    for statement in _listed(trust["Statement"]):
        if {"NotAction", "NotPrincipal", "NotResource"} & set(statement):
            raise Unsupported(f"statement {statement}")
        if not _action_matches(statement.get("Action", []), action):
            continue
        principal = statement.get("Principal", {})
        if principal != "*" and provider not in _listed(principal.get("Federated", [])):
            continue
        if not _conditions_hold(statement.get("Condition", {}), context):
            continue
        if statement["Effect"] == "Deny":
            return False
        allowed = allowed or statement["Effect"] == "Allow"
    return allowed


def test_the_evaluator_follows_iam() -> None:
    provider = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"

    def trust(*statements: dict[str, Any]) -> dict[str, Any]:
        return {"Version": "2012-10-17", "Statement": list(statements)}

    def allow(condition: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"Effect": "Allow", "Action": ACTION, "Principal": {"Federated": provider},
                "Condition": condition, **extra}

    def claims(sub: str, aud: str = AUDIENCE) -> dict[str, str]:
        return {f"{HOST}:sub": sub, f"{HOST}:aud": aud}

    like = allow({"StringLike": {f"{HOST}:sub": ["a:*:b", "c?d"]}})
    assert allows(trust(like), provider, claims("a::b"))  # `*` matches nothing
    assert allows(trust(like), provider, claims("a:x/y:z:b"))  # and `:` or `/`
    assert allows(trust(like), provider, claims("cxd"))
    assert not allows(trust(like), provider, claims("cd"))  # `?` is exactly one character
    assert not allows(trust(like), provider, claims("A:x:b"))  # values are case-sensitive
    assert not allows(trust(like), provider, claims("a:x:bc"))
    equals = allow({"StringEquals": {f"{HOST}:sub": "a:*", f"{HOST}:AUD": AUDIENCE}})
    assert allows(trust(equals), provider, claims("a:*"))  # key names are case-insensitive
    assert not allows(trust(equals), provider, claims("a:b"))  # StringEquals has no wildcard
    assert not allows(trust(equals), provider, claims("a:*", aud="other"))  # every key must hold
    assert not allows(trust(equals), provider, {f"{HOST}:sub": "a:*"})  # a missing key fails
    assert not allows(trust(equals), "arn:aws:iam::123456789012:oidc-provider/other", claims("a:*"))
    assert not allows(trust(equals), provider, claims("a:*"), action="sts:AssumeRole")
    deny = {**equals, "Effect": "Deny"}
    assert not allows(trust(like, deny), provider, claims("a:*"))  # an explicit Deny wins
    assert allows(trust(like, deny), provider, claims("a::b"))
    for unsupported in (allow({"ForAnyValue:StringLike": {f"{HOST}:sub": "*"}}),
                        allow({"StringLike": {f"{HOST}:sub": "${aws:username}"}}),
                        {**like, "NotPrincipal": {"AWS": "*"}}):
        with pytest.raises(Unsupported):
            allows(trust(unsupported), provider, claims("a::b"))


################################################################################
# GitHub's tokens
################################################################################


@dataclass(frozen=True)
class Token:
    """What GitHub puts in a job's OIDC token that AWS can match: the subject, by ``form``.

    ``custom`` is the template .github/scripts/github-setup.sh sets (repository_owner_id,
    repository_id, context, job_workflow_ref); ``legacy`` the default subject by names; ``immutable``
    GitHub's default since 2026-07-15, with ``@`` before each ID (the docs), ``dashed`` the same with
    ``-`` (GitHub's changelog of 2026-04-23).
    """

    repository: str  # owner/name
    owner_id: int
    repository_id: int
    context: str  # environment:<name>, pull_request or ref:<ref>
    workflow: str  # the file defining the job, under .github/workflows/
    ref: str  # the ref the workflow ran from
    form: str = "custom"

    @property
    def sub(self) -> str:
        owner, name = self.repository.split("/")
        if self.form == "legacy":
            return f"repo:{self.repository}:{self.context}"
        if self.form in ("immutable", "dashed"):
            at = "@" if self.form == "immutable" else "-"
            return f"repo:{owner}{at}{self.owner_id}/{name}{at}{self.repository_id}:{self.context}"
        assert self.form == "custom", self.form
        workflow_ref = f"{self.repository}/.github/workflows/{self.workflow}@{self.ref}".replace(":", "%3A")
        return (f"repository_owner_id:{self.owner_id}:repository_id:{self.repository_id}:{self.context}"
                f":job_workflow_ref:{workflow_ref}")

    def claims(self) -> dict[str, str]:
        return {f"{HOST}:sub": self.sub, f"{HOST}:aud": AUDIENCE}


@dataclass(frozen=True)
class Kit:
    """What a rendered kit's config says about trust."""

    project: str
    account: str
    repository: str
    owner_id: int
    repository_id: int
    branch: str
    environments: tuple[str, ...]

    @property
    def pinned(self) -> bool:
        return bool(self.owner_id and self.repository_id)

    @property
    def provider(self) -> str:
        return f"arn:aws:iam::{self.account}:oidc-provider/{HOST}"

    def job(self, context: str, workflow: str, ref: str | None = None) -> Token:
        """A token of this repository, in the form the kit's setup makes GitHub issue."""
        return Token(self.repository, self.owner_id, self.repository_id, context, workflow,
                     ref or f"refs/heads/{self.branch}", "custom" if self.pinned else "legacy")

    def real_jobs(self) -> dict[str, list[Token]]:
        """Role name -> the tokens GitHub gives the kit's own jobs that assume it."""
        push = f"ref:refs/heads/{self.branch}"
        return {
            f"{self.project}-github-plan": [
                self.job("pull_request", "ci.yml", "refs/pull/42/merge"),  # ci.yml's plan
                self.job(push, "deploy-environment.yml"),  # deploy.yml -> deploy-environment.yml, plan
            ],
            f"{self.project}-github-build": [self.job(push, "deploy.yml")],
            **{
                f"{self.project}-{e}-github-deploy": [
                    self.job(f"environment:{e}", "deploy-environment.yml"),  # its deploy job
                    self.job(f"environment:{e}", "rollback.yml"),
                ]
                for e in self.environments
            },
        }


def kit_of(rendered: Path) -> Kit:
    config = load_yaml(rendered / "fargate-gen.yml")
    return Kit(
        project=config["project_name"],
        account=str(config["aws_account_id"]),
        repository=config["github_repository"],
        owner_id=int(config.get("github_owner_id") or 0),
        repository_id=int(config.get("github_repository_id") or 0),
        branch=config.get("deploy_branch", "main"),
        environments=tuple(e["name"] for e in config["environments"]),
    )


def token_table(kit: Kit) -> list[Token]:
    """Tokens that this repository or another could present: every combination of identity, subject
    form, context, workflow file and ref below (most of which no real job has)."""
    owner, name = kit.repository.split("/")
    owner_id, repository_id = kit.owner_id or 1001, kit.repository_id or 2002
    identities = [
        (kit.repository, owner_id, repository_id),
        (kit.repository, owner_id + 7, repository_id + 7),  # the name recycled by someone else
        (kit.repository, owner_id, repository_id + 7),  # another repository of the owner, renamed to it
        (f"{owner}/{name}-fork", owner_id, repository_id + 9),  # another repository of the owner
        (f"evil/{name}", owner_id + 8, repository_id + 8),  # someone else's repository
    ]
    branch = f"refs/heads/{kit.branch}"
    refs = [branch, "refs/heads/feature", f"refs/heads/{kit.branch}-x", "refs/tags/v1", "refs/pull/42/merge"]
    contexts = ["pull_request", *(f"ref:{r}" for r in refs if not r.startswith("refs/pull/"))]
    contexts += [f"environment:{e}" for e in (*kit.environments, "evil")]
    workflows = ["ci.yml", "deploy.yml", "deploy-environment.yml", "rollback.yml", "test.yml", "evil.yml"]
    tokens = [
        Token(repository, oid, rid, context, workflow, ref, form)
        for (repository, oid, rid), context, workflow, ref, form in itertools.product(
            identities, contexts, workflows, refs, ["custom", "legacy", "immutable", "dashed"]
        )
    ]
    return list({t.sub: t for t in tokens}.values())  # one token per distinct subject


def violations(kit: Kit, trusts: dict[str, dict[str, Any]]) -> list[str]:
    """Every token the roles' trust policies judge otherwise than they must.

    With the IDs, a role accepts exactly the custom subjects of its real jobs: the context, workflow
    file and ref of one of them, this repository's IDs. Without, exactly the legacy subjects of its
    real jobs' contexts (the name-only form cannot tell a workflow, a ref or a recycled name apart)."""
    problems = []
    real_jobs = kit.real_jobs()
    assert set(trusts) == set(real_jobs), (sorted(trusts), sorted(real_jobs))
    for role, jobs in real_jobs.items():
        for job in jobs:
            if not allows(trusts[role], kit.provider, job.claims()):
                problems.append(f"{role} refuses its own job's token {job.sub}")
        expected = {job.sub for job in jobs}
        for token in token_table(kit):
            accepted = allows(trusts[role], kit.provider, token.claims())
            if accepted and token.sub not in expected:
                problems.append(f"{role} accepts {token.sub}")
    return problems


################################################################################
# The kits' roles, applied to the emulator and read back
################################################################################


@pytest.fixture(scope="module")
def cli_config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return offline_terraform(tmp_path_factory.mktemp("terraform"))


def render(name: str, rendered_examples: dict[str, Path], folder: Path) -> Path:
    """The kit ``name``: an example as rendered for the session, or a variant of one."""
    if name not in VARIANTS:
        kit = folder / name
        shutil.copytree(rendered_examples[name], kit, symlinks=True)
        return kit
    example, changes = VARIANTS[name]
    config = folder / "fargate-gen.yml"
    data = yaml.safe_load((rendered_examples[example] / "fargate-gen.yml").read_text(encoding="utf-8"))
    config.write_text(yaml.safe_dump({**data, **changes}, sort_keys=False), encoding="utf-8")
    new(folder / name, config=config)
    return folder / name


@pytest.fixture(scope="module", params=KITS)
def applied(
    request: pytest.FixtureRequest,
    rendered_examples: dict[str, Path],
    cli_config_file: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Kit, dict[str, dict[str, Any]]]]:
    """A kit and the trust policy of each of its GitHub roles, as the emulator's IAM holds them after
    the bootstrap's roles were applied."""
    rendered = render(request.param, rendered_examples, tmp_path_factory.mktemp(f"trust-{request.param}"))
    kit = kit_of(rendered)
    answers = load_yaml(rendered / ".copier-answers.yml")
    bootstrap = rendered / "infra" / "bootstrap"
    with running_emulator(account_id=kit.account, region=answers["aws_region"]) as emulator:
        env = terraform_env(cli_config_file, emulator)
        create_hosted_zones(emulator, answers)
        sh(["terraform", "init", "-input=false"], cwd=bootstrap, env=env)
        targets = ["-target=aws_iam_role.plan", "-target=aws_iam_role.build", "-target=aws_iam_role.deploy"]
        sh(["terraform", "apply", "-input=false", "-auto-approve", *targets], cwd=bootstrap, env=env)
        iam = emulator.client("iam")
        roles = [r["RoleName"] for page in iam.get_paginator("list_roles").paginate() for r in page["Roles"]]
        trusts = {}
        for role in roles:
            if role.endswith(("-github-plan", "-github-build", "-github-deploy")):
                document = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
                trusts[role] = json.loads(document) if isinstance(document, str) else document
    yield kit, trusts


@pytest.mark.emulator
@pytest.mark.slow
def test_each_role_accepts_exactly_its_jobs(applied: tuple[Kit, dict[str, dict[str, Any]]]) -> None:
    kit, trusts = applied
    assert violations(kit, trusts) == []


@pytest.mark.emulator
@pytest.mark.slow
def test_the_tokens_the_issue_names_are_refused(applied: tuple[Kit, dict[str, dict[str, Any]]]) -> None:
    """Issue 9's list, one token each, derived from a real job's by one change."""
    kit, trusts = applied
    p, production = kit.project, kit.environments[-1]
    prod_role = f"{p}-{production}-github-deploy"
    deploy = kit.job(f"environment:{production}", "deploy-environment.yml")
    build = kit.job(f"ref:refs/heads/{kit.branch}", "deploy.yml")
    pull_request = kit.job("pull_request", "ci.yml", "refs/pull/42/merge")
    refused = {
        "a pull request, to the deploy role": (prod_role, pull_request),
        "a pull request, to the build role": (f"{p}-github-build", pull_request),
        "another branch, to the build role": (
            f"{p}-github-build", replace(build, context="ref:refs/heads/feature", ref="refs/heads/feature")),
        "another repository": (
            prod_role, replace(deploy, repository=f"evil/{kit.repository.split('/')[1]}")),
    }
    if len(kit.environments) > 1:
        refused["another environment"] = (
            prod_role, replace(deploy, context=f"environment:{kit.environments[0]}"))
    if kit.pinned:  # the name-only subject names no workflow, ref or ID: only the IDs refuse these
        refused |= {
            "a pull request's workflow in the environment": (
                prod_role, replace(deploy, workflow="ci.yml", ref="refs/pull/42/merge")),
            "another workflow file on the deploy branch": (
                prod_role, replace(deploy, workflow="evil.yml")),
            "another workflow file, to the build role": (
                f"{p}-github-build", replace(build, workflow="evil.yml")),
            "the deploy workflow from another branch": (
                prod_role, replace(deploy, ref="refs/heads/feature")),
            "the name recycled (same name, other IDs)": (
                prod_role,
                replace(deploy, owner_id=kit.owner_id + 1, repository_id=kit.repository_id + 1)),
            "the name-only subject": (prod_role, replace(deploy, form="legacy")),
            "GitHub's default immutable subject": (
                prod_role, replace(deploy, form="immutable")),
        }
    accepted = {what: token.sub for what, (role, token) in refused.items()
                if allows(trusts[role], kit.provider, token.claims())}
    assert accepted == {}
    for role, jobs in kit.real_jobs().items():
        for job in jobs:
            assert allows(trusts[role], kit.provider, job.claims()), (role, job.sub, trusts[role])


@pytest.mark.emulator
@pytest.mark.slow
def test_a_weakened_trust_fails_the_check(applied: tuple[Kit, dict[str, dict[str, Any]]]) -> None:
    """The check is not vacuous: widening one deploy role's subjects to any workflow file (with IDs)
    or any environment (without) is caught."""
    kit, trusts = applied
    role = f"{kit.project}-{kit.environments[-1]}-github-deploy"
    weakened = json.loads(json.dumps(trusts[role]))
    for statement in _listed(weakened["Statement"]):
        condition = statement["Condition"]
        subjects = [s for block in condition.values() for k, v in block.items() if k.endswith(":sub")
                    for s in _listed(v)]
        wide = [re.sub(r"workflows/[^@]+@", "workflows/*@", s) if kit.pinned
                else re.sub(r"environment:.*$", "environment:*", s) for s in subjects]
        for block in condition.values():
            for key in [k for k in block if k.endswith(":sub")]:
                del block[key]
        condition.setdefault("StringLike", {})[f"{HOST}:sub"] = wide
    found = violations(kit, {**trusts, role: weakened})
    assert found and all(f.startswith(f"{role} accepts ") for f in found), found
    marker = "/.github/workflows/evil.yml@" if kit.pinned else ":environment:evil"
    assert any(marker in f for f in found), found


################################################################################
# The one-time GitHub setup script, against a stand-in for the GitHub API
################################################################################

# `gh api` for the endpoints github-setup.sh calls, on a JSON state file: a GitHub stand-in (the
# real API needs a repository and an admin token). --jq filters with the real jq, as gh does.
FAKE_GH = r'''
import json, os, subprocess, sys
state_file = os.environ["FAKE_GH_STATE"]
state = json.load(open(state_file))
args = sys.argv[1:]
assert args[0] == "api", args
args = args[1:]
method, jq, fields, body, path = "GET", None, {}, None, None
while args:
    arg = args.pop(0)
    if arg in ("--method", "-X"):
        method = args.pop(0)
    elif arg == "--jq":
        jq = args.pop(0)
    elif arg == "-f":
        key, _, value = args.pop(0).partition("=")
        fields[key] = value
    elif arg == "--input":
        assert args.pop(0) == "-"
        body = json.load(sys.stdin)
    else:
        path = arg
state["calls"].append([method, path, body if body is not None else fields])
parts = path.split("/")
response = {}
if parts[0] == "users":
    response = {"id": state["users"][parts[1]]}
elif parts[0] == "orgs":
    response = {"id": state["teams"][f"{parts[1]}/{parts[3]}"]}
elif parts[3:] == [] and method == "GET":
    response = state["repository"]
elif parts[3:] == ["actions", "oidc", "customization", "sub"]:
    if method == "PUT":
        state["sub"] = body
    response = state["sub"]
elif parts[3] == "environments" and len(parts) == 5:
    environment = state["environments"].setdefault(parts[4], {"policies": [], "reviewers": []})
    if method == "PUT":
        environment["settings"] = body
        if "reviewers" in body:
            environment["reviewers"] = body["reviewers"]
    reviewers = environment["reviewers"]
    rules = [{"type": "required_reviewers", "reviewers": reviewers}] if reviewers else []
    response = {"name": parts[4], "protection_rules": rules}
elif parts[3] == "environments" and parts[5] == "deployment-branch-policies":
    policies = state["environments"][parts[4]]["policies"]
    if method == "POST":
        state["next_id"] += 1
        policies.append({"id": state["next_id"], "name": fields["name"], "type": fields["type"]})
    elif method == "DELETE":
        policies[:] = [p for p in policies if str(p["id"]) != parts[6]]
    response = {"total_count": len(policies), "branch_policies": policies}
else:
    sys.exit(f"fake gh: no such endpoint {method} {path}")
json.dump(state, open(state_file, "w"))
text = json.dumps(response)
if jq is not None:
    text = subprocess.run(["jq", "-r", jq], input=text, capture_output=True, text=True, check=True).stdout
print(text.rstrip("\n"))
'''


def run_setup(
    kit: Path, state: dict[str, Any], folder: Path, *reviewers: str
) -> tuple[int, str, dict[str, Any]]:
    """Run the kit's github-setup.sh with ``gh`` standing for GitHub in ``state``."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(f"#!{sys.executable}\n{FAKE_GH}", encoding="utf-8")
    gh.chmod(0o755)
    state_file = folder / "github.json"
    state_file.write_text(json.dumps({"calls": [], "next_id": 100, **state}), encoding="utf-8")
    path = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, "PATH": path, "FAKE_GH_STATE": str(state_file)}
    script = kit / ".github" / "scripts" / "github-setup.sh"
    done = subprocess.run(
        [str(script), *reviewers], cwd=kit, env=env, capture_output=True, text=True, check=False
    )
    return done.returncode, done.stderr, json.loads(state_file.read_text(encoding="utf-8"))


def test_github_setup_sets_the_subject_and_environments(
    rendered_examples: dict[str, Path], tmp_path: Path
) -> None:
    require_tool("jq")
    kit = rendered_examples["shop"]
    config = load_yaml(kit / "fargate-gen.yml")
    owner_id, repository_id = config["github_owner_id"], config["github_repository_id"]
    github = {
        "repository": {"id": repository_id, "owner": {"id": owner_id}},
        "sub": {"use_default": True},
        "users": {"alice": 11},
        "teams": {"acme/ops": 22},
        # Before: prod allows any branch matching a stray policy.
        "environments": {"prod": {"policies": [{"id": 7, "name": "*", "type": "branch"}], "reviewers": []}},
    }
    code, stderr, after = run_setup(kit, github, tmp_path, "alice", "acme/ops")
    assert code == 0, stderr
    assert after["sub"] == {
        "use_default": False,
        "include_claim_keys": ["repository_owner_id", "repository_id", "context", "job_workflow_ref"],
    }
    assert set(after["environments"]) == {"dev", "prod"}
    for name, environment in after["environments"].items():
        assert [(p["name"], p["type"]) for p in environment["policies"]] == [("main", "branch")], name
        assert environment["settings"]["deployment_branch_policy"] == {
            "protected_branches": False, "custom_branch_policies": True}
    reviewers = [{"type": "User", "id": 11}, {"type": "Team", "id": 22}]
    assert after["environments"]["prod"]["reviewers"] == reviewers
    assert after["environments"]["dev"]["reviewers"] == []
    assert "no required reviewers" not in stderr

    # Idempotent: a second run changes nothing and adds no policy.
    before = {k: v for k, v in after.items() if k not in ("calls", "next_id")}
    code, stderr, again = run_setup(kit, before, tmp_path, "alice", "acme/ops")
    assert code == 0, stderr
    assert again["environments"] == after["environments"] and again["sub"] == after["sub"]
    assert not [c for c in again["calls"] if c[0] in ("POST", "DELETE")]

    # Another repository under the name (a recycled name): nothing is changed.
    recycled = {**github, "repository": {"id": repository_id + 1, "owner": {"id": owner_id + 1}}}
    code, stderr, untouched = run_setup(kit, recycled, tmp_path)
    assert code == 1 and "it is another repository, or the IDs are wrong" in stderr
    assert untouched["sub"] == {"use_default": True}
    assert [c[0] for c in untouched["calls"]] == ["GET"]


def test_github_setup_without_ids_keeps_the_default_subject(
    rendered_examples: dict[str, Path], tmp_path: Path
) -> None:
    require_tool("jq")
    kit = rendered_examples["orders-api"]  # no IDs; deploys from master
    github = {"repository": {"id": 5, "owner": {"id": 6}}, "sub": {"use_default": True}, "users": {},
              "teams": {}, "environments": {}}
    code, stderr, after = run_setup(kit, github, tmp_path)
    assert code == 0, stderr
    assert after["sub"] == {"use_default": True}, "the legacy trust needs GitHub's default subject"
    policies = after["environments"]["prod"]["policies"]
    assert [(p["name"], p["type"]) for p in policies] == [("master", "branch")]
    assert "prod has no required reviewers" in stderr and "immutable default subject" in stderr
    # A custom template would issue subjects the legacy trust refuses: the script says so.
    custom = {"use_default": False, "include_claim_keys": ["repo"]}
    code, stderr, _ = run_setup(kit, {**github, "sub": custom}, tmp_path)
    assert code == 1 and "add github_owner_id and github_repository_id" in stderr
