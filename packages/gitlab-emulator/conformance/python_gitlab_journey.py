"""A whole provisioning journey against a GitLab REST v4 endpoint, driven by python-gitlab.

Asserts GitLab's documented behaviour (docs.gitlab.com/api, GitLab 18.x unless a step says
otherwise), not what the emulator happens to do; it must pass against a real GitLab 18 instance
with an admin token too. Usage: python_gitlab_journey.py <url> <admin-token>
Prints one line per step and `conformance: N passed, N failed` at the end; exits 1 on a failure.
"""

import base64
import sys
import time
import uuid

import gitlab
from gitlab import exceptions as glexc

URL, TOKEN = sys.argv[1], sys.argv[2]
gl = gitlab.Gitlab(URL, private_token=TOKEN, per_page=100)
RUN = uuid.uuid4().hex[:6]
passed = 0
failed = 0


def step(name):
    def wrap(fn):
        global passed, failed
        try:
            fn()
            passed += 1
            print(f"ok   {name}", flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported, then the journey goes on
            failed += 1
            print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
        return fn

    return wrap


def expect_error(exc_type, code, fn, message=None):
    try:
        fn()
    except exc_type as e:
        assert e.response_code == code, f"expected {code}, got {e.response_code}: {e.error_message}"
        if message is not None:
            assert message in str(e.error_message), f"expected {message!r} in {e.error_message!r}"
        return e
    raise AssertionError(f"expected {exc_type.__name__} {code}, the call succeeded")


state = {}


@step("users: admin creates a user; 409 'has already been taken' on a duplicate username; 404 for an unknown id")
def _():
    u = gl.users.create({"email": f"max-{RUN}@example.com", "username": f"max-{RUN}", "name": "Max", "password": f"Pw-{RUN}-x9!kq", "skip_confirmation": True})
    assert u.username == f"max-{RUN}"
    state["user"] = u
    expect_error(glexc.GitlabCreateError, 409, lambda: gl.users.create({"email": f"other-{RUN}@example.com", "username": f"max-{RUN}", "name": "Max 2", "password": f"Pw-{RUN}-x9!kq"}), "has already been taken")
    assert [x.id for x in gl.users.list(username=f"max-{RUN}")] == [u.id]
    expect_error(glexc.GitlabGetError, 404, lambda: gl.users.get(999999999))


@step("groups: top-level group, subgroup by parent_id, lookup by full path; 400 'has already been taken' on a duplicate path; 404 for an unknown group")
def _():
    top = gl.groups.create({"name": f"Org {RUN}", "path": f"org-{RUN}"})
    sub = gl.groups.create({"name": "Course", "path": "course", "parent_id": top.id})
    assert sub.full_path == f"org-{RUN}/course" and sub.parent_id == top.id
    assert gl.groups.get(f"org-{RUN}/course").id == sub.id
    expect_error(glexc.GitlabCreateError, 400, lambda: gl.groups.create({"name": "Course 2", "path": "course", "parent_id": top.id}), "has already been taken")
    expect_error(glexc.GitlabGetError, 404, lambda: gl.groups.get(f"org-{RUN}/nope"))
    state["top"], state["sub"] = top, sub
    state["students"] = gl.groups.create({"name": "students", "path": "students", "parent_id": sub.id})


@step("paths: slugs must start and end with a letter or digit, no consecutive special characters (400)")
def _():
    for bad in ("_lead", "trail-", "a--b", "a._b"):
        expect_error(glexc.GitlabCreateError, 400, lambda bad=bad: gl.projects.create({"name": f"n{bad}", "path": bad, "namespace_id": state["sub"].id}))
    expect_error(glexc.GitlabCreateError, 400, lambda: gl.groups.create({"name": "g", "path": "-g", "parent_id": state["sub"].id}))


@step("projects: create in a subgroup; 400 'has already been taken' on a duplicate path; 404 for an unknown path")
def _():
    p = gl.projects.create({"name": "student-template", "path": "student-template", "namespace_id": state["sub"].id})
    assert p.path_with_namespace == f"org-{RUN}/course/student-template"
    assert p.archived is False
    expect_error(glexc.GitlabCreateError, 400, lambda: gl.projects.create({"name": "student-template", "path": "student-template", "namespace_id": state["sub"].id}), "has already been taken")
    expect_error(glexc.GitlabGetError, 404, lambda: gl.projects.get(f"org-{RUN}/course/missing"))
    state["template"] = gl.projects.get(p.id)


@step("commits: create/update/delete actions in one commit; files API (base64) and recursive tree")
def _():
    p = state["template"]
    p.commits.create({"branch": "main", "commit_message": "init", "actions": [
        {"action": "create", "file_path": "README.md", "content": "# hi\n"},
        {"action": "create", "file_path": "src/a.py", "content": base64.b64encode(b"print(1)\n").decode(), "encoding": "base64"},
        {"action": "create", "file_path": "old.txt", "content": "x"},
    ]})
    c = p.commits.create({"branch": "main", "commit_message": "second", "actions": [
        {"action": "update", "file_path": "README.md", "content": "# hello\n"},
        {"action": "delete", "file_path": "old.txt"},
    ]})
    assert len(c.id) == 40
    f = p.files.get(file_path="src/a.py", ref="main")
    assert f.decode() == b"print(1)\n"
    tree = p.repository_tree(ref="main", recursive=True, get_all=True)
    assert sorted((t["path"], t["type"]) for t in tree) == [("README.md", "blob"), ("src", "tree"), ("src/a.py", "blob")]
    expect_error(glexc.GitlabGetError, 404, lambda: p.files.get(file_path="old.txt", ref="main"))
    # A create of an existing file fails the whole commit (400).
    expect_error(glexc.GitlabCreateError, 400, lambda: p.commits.create({"branch": "main", "commit_message": "dup", "actions": [{"action": "create", "file_path": "README.md", "content": "x"}]}))


@step("protected branches: the first push protects the default branch; a second rule of the same name is 409")
def _():
    p = state["template"]
    names = [b.name for b in p.protectedbranches.list(get_all=True)]
    assert "main" in names, names
    p.protectedbranches.create({"name": "release/*", "push_access_level": 40, "merge_access_level": 40})
    expect_error(glexc.GitlabCreateError, 409, lambda: p.protectedbranches.create({"name": "release/*"}))
    p.protectedbranches.delete("release/*")
    expect_error(glexc.GitlabGetError, 404, lambda: p.protectedbranches.get("release/*"))


@step("forks: fork into the students group with path and name; import_status polled until finished; repository copied")
def _():
    src = state["template"]
    fork = src.forks.create({"namespace_id": state["students"].id, "path": f"max-{RUN}", "name": f"max-{RUN}"})
    deadline = time.time() + 30
    project = gl.projects.get(fork.id)
    while project.import_status != "finished":
        assert project.import_status in ("scheduled", "started", "none"), project.import_status
        assert time.time() < deadline, "import did not finish"
        time.sleep(0.05)
        project = gl.projects.get(fork.id)
    assert project.forked_from_project["id"] == src.id
    assert project.path_with_namespace == f"org-{RUN}/course/students/max-{RUN}"
    assert project.files.get(file_path="README.md", ref="main").decode() == b"# hello\n"
    expect_error(glexc.GitlabCreateError, 409, lambda: src.forks.create({"namespace_id": state["students"].id, "path": f"max-{RUN}", "name": f"max-{RUN}"}), "has already been taken")
    state["fork"] = project


@step("members: add as Maintainer (40); 409 'Member already exists'; edit the level; unprotect main for the student")
def _():
    p, u = state["fork"], state["user"]
    m = p.members.create({"user_id": u.id, "access_level": 40})
    assert m.access_level == 40
    expect_error(glexc.GitlabCreateError, 409, lambda: p.members.create({"user_id": u.id, "access_level": 40}), "Member already exists")
    m.access_level = 30
    m.save()
    assert p.members.get(u.id).access_level == 30
    state["sub"].members.create({"user_id": u.id, "access_level": 20})
    assert {x.id for x in state["sub"].members_all.list(get_all=True)} >= {u.id}
    p.protectedbranches.delete("main")


@step("pagination (offset): x-total, x-total-pages, x-next-page and Link rel=next/last; python-gitlab iterates every page")
def _():
    g = gl.groups.create({"name": "paged", "path": "paged", "parent_id": state["top"].id})
    ids = [gl.projects.create({"name": f"p{i}", "path": f"p{i}", "namespace_id": g.id}).id for i in range(5)]
    r = gl.http_get(f"/groups/{g.id}/projects", query_data={"per_page": 2, "page": 1}, raw=True)
    h = r.headers
    assert (h["X-Total"], h["X-Total-Pages"], h["X-Page"], h["X-Per-Page"], h["X-Next-Page"]) == ("5", "3", "1", "2", "2"), dict(h)
    assert 'rel="next"' in h["Link"] and 'rel="last"' in h["Link"], h["Link"]
    lst = g.projects.list(per_page=2, iterator=True)
    assert lst.total == 5 and lst.total_pages == 3
    assert sorted(p.id for p in lst) == sorted(ids)
    state["paged_ids"] = ids


@step("pagination (keyset): pagination=keyset&order_by=id follows Link rel=next to the end, no row twice")
def _():
    seen = [p.id for p in gl.projects.list(pagination="keyset", order_by="id", sort="asc", per_page=2, iterator=True)]
    assert len(seen) == len(set(seen)), "duplicates"
    assert seen == sorted(seen)
    assert set(state["paged_ids"]) <= set(seen)
    r = gl.http_get("/projects", query_data={"pagination": "keyset", "order_by": "id", "sort": "asc", "per_page": 2}, raw=True)
    assert "id_after=" in r.headers["Link"] and 'rel="next"' in r.headers["Link"], r.headers.get("Link")


@step("booleans: Grape accepts True, yes, on, t, 1 for a Boolean parameter (initialize_with_readme)")
def _():
    for i, word in enumerate(("True", "yes", "on", "t", "1")):
        p = gl.http_post("/projects", post_data={"name": f"b{i}", "path": f"b{i}", "namespace_id": state["sub"].id, "initialize_with_readme": word})
        assert p["empty_repo"] is False, (word, p["empty_repo"])
    p = gl.http_post("/projects", post_data={"name": "b-off", "path": "b-off", "namespace_id": state["sub"].id, "initialize_with_readme": "off"})
    assert p["empty_repo"] is True


@step("archive: POST /projects/:id/archive answers the project archived; commits are refused (403); unarchive allows them again")
def _():
    p = state["fork"]
    p.archive()
    assert gl.projects.get(p.id).archived is True
    expect_error(glexc.GitlabCreateError, 403, lambda: p.commits.create({"branch": "main", "commit_message": "x", "actions": [{"action": "create", "file_path": "y.txt", "content": "y"}]}))
    p.unarchive()
    assert gl.projects.get(p.id).archived is False
    p.commits.create({"branch": "main", "commit_message": "x", "actions": [{"action": "create", "file_path": "y.txt", "content": "y"}]})


@step("redirects: a renamed project answers at its old full path with its new path_with_namespace; a renamed group does not")
def _():
    p = gl.projects.create({"name": "renamed", "path": "before", "namespace_id": state["sub"].id})
    p.path = "after"
    p.save()
    old = gl.projects.get(f"org-{RUN}/course/before")
    assert old.id == p.id and old.path_with_namespace == f"org-{RUN}/course/after"
    g = gl.groups.create({"name": "g-before", "path": "g-before", "parent_id": state["top"].id})
    g.path = "g-after"
    g.save()
    expect_error(glexc.GitlabGetError, 404, lambda: gl.groups.get(f"org-{RUN}/g-before"))
    assert gl.groups.get(f"org-{RUN}/g-after").id == g.id


@step("delete (GitLab 18 delayed deletion): 202, archived, renamed <path>-deletion_scheduled-<id>, old path freed and redirecting; re-create succeeds")
def _():
    p = state["fork"]
    gl.projects.delete(p.id)
    marked = gl.projects.get(p.id)
    assert marked.marked_for_deletion_on, "not marked"
    assert marked.archived is True
    assert marked.path == f"max-{RUN}-deletion_scheduled-{p.id}", marked.path
    assert gl.projects.get(f"org-{RUN}/course/students/max-{RUN}").id == p.id
    again = state["template"].forks.create({"namespace_id": state["students"].id, "path": f"max-{RUN}", "name": f"max-{RUN}"})
    assert again.id != p.id
    assert gl.projects.get(f"org-{RUN}/course/students/max-{RUN}").id == again.id


@step("delete a group (GitLab 18): renamed <path>-deletion_scheduled-<id>, old path 404 and free at once")
def _():
    g = gl.groups.create({"name": "gone", "path": "gone", "parent_id": state["top"].id})
    gl.groups.delete(g.id)
    marked = gl.groups.get(g.id)
    assert marked.marked_for_deletion_on and marked.path == f"gone-deletion_scheduled-{g.id}", marked.path
    expect_error(glexc.GitlabGetError, 404, lambda: gl.groups.get(f"org-{RUN}/gone"))
    assert gl.groups.create({"name": "gone", "path": "gone", "parent_id": state["top"].id}).id != g.id


print(f"conformance: {passed} passed, {failed} failed", flush=True)
sys.exit(1 if failed else 0)
