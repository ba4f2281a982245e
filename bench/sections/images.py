"""images.py: what section 5 runs: the real faas-cli and of-watchdog (built from ../shared/third_party/
openfaas), the base image, and four images tagged c-debian-numa-bench/*: the sample function and
test-numa-function (faas-cli build of the c-debian-numa template), the Go and the Python peer (docker
build of bench/peers/*/Dockerfile). Each is built by the commands a user types; Docker's cache makes a
second run quick."""
import os
import re
import shutil
import subprocess
import time

from .proc import BENCH, ROOT, log, read_text, rel, run, show

TAG = "c-debian-numa-bench"
BASE_IMAGE = "debian:bookworm-slim"
WATCHDOG_IMAGE = "ghcr.io/openfaas/of-watchdog:0.11.6"
BUILD_TIMEOUT = 1800       # seconds for one image build (apt-get of the build stage on a slow mirror)
BASE_WAIT = 1800           # seconds to wait for a base image being made by another run
STACK = """version: 1.0
provider:
  name: openfaas
  gateway: http://127.0.0.1:8080
functions:
  sample-function:
    lang: c-debian-numa
    handler: ./sample-function
    image: {tag}/sample-function:latest
  test-numa-function:
    lang: c-debian-numa
    handler: ./test-numa-function
    image: {tag}/test-numa-function:latest
"""


def have_image(name):
    return subprocess.run(["docker", "image", "inspect", name], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, timeout=60, check=False).returncode == 0


def build_script():
    return os.path.join(ROOT, "..", "shared", "third_party", "openfaas", "build.sh")


def preflight():
    """Fails at once, before any measurement, when section 5 cannot run here."""
    script = build_script()
    if not os.access(script, os.X_OK):
        raise RuntimeError(f"{os.path.normpath(script)} is missing: section 5 builds faas-cli and "
                           "of-watchdog with it (BENCH_SECTIONS=experiment,http,cold skips section 5)")
    p = subprocess.run(["docker", "version", "-f", "{{.Server.Version}}"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=60, check=False)
    if p.returncode != 0:
        raise RuntimeError(f"docker: {p.stderr.decode(errors='replace').strip()[-300:]} (section 5 runs "
                           "containers; BENCH_SECTIONS=experiment,http,cold skips it)")


def openfaas_programs(ctx):
    """faas-cli and fwatchdog built offline (and the watchdog image); their paths and versions."""
    out = os.path.join(ctx.build_dir, "openfaas")
    script = build_script()
    argv = [script, out, "--image"]
    run(argv, timeout=BUILD_TIMEOUT)
    faas_cli, fwatchdog = os.path.join(out, "faas-cli"), os.path.join(out, "fwatchdog")
    cli_text, _ = run([faas_cli, "version", "--warn-update=false"], timeout=30)
    wd = subprocess.run([fwatchdog, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                        timeout=30, check=False).stdout.decode(errors="replace")
    m = re.search(r"Version: \S+\s+SHA: \S+", wd)
    cli = " ".join(line.strip() for line in cli_text.splitlines()
                   if line.strip().lower().startswith(("commit", "version")))
    return {"faas_cli": faas_cli, "fwatchdog": fwatchdog,
            "build_cmd": f"{os.path.relpath(script, ROOT)} {rel(out)} --image",
            "faas_cli_version": cli, "fwatchdog_version": m.group(0).replace("\t", " ") if m else f"({wd.strip()[-200:]})",
            "docker_version": run(["docker", "version", "-f", "{{.Server.Version}}"], timeout=30)[0].strip()}


def debootstrap_running():
    for pid in os.listdir("/proc"):
        if pid.isdigit() and read_text(f"/proc/{pid}/comm") == "debootstrap":
            return True
    return False


def base_image():
    """debian:bookworm-slim: waits (bounded) while a debootstrap is under way (another run making
    it), else makes it with tests/image/base-images.sh."""
    deadline = time.monotonic() + BASE_WAIT
    while not have_image(BASE_IMAGE) and debootstrap_running() and time.monotonic() < deadline:
        log(f"waiting for {BASE_IMAGE}: a debootstrap is under way")
        time.sleep(15)
    if not have_image(BASE_IMAGE):
        run([os.path.join(ROOT, "tests", "image", "base-images.sh")], timeout=BUILD_TIMEOUT)
    if not have_image(BASE_IMAGE):
        raise RuntimeError(f"{BASE_IMAGE} is missing and tests/image/base-images.sh did not make it")


def copy_tree(src, dst):
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("build", "*.o", "*.d"))


def c_images(ctx, tl):
    """The sample function and test-numa-function through faas-cli build, in OUT_DIR/faas."""
    work = os.path.join(ctx.out_dir, "faas")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    tdir = os.path.join(ROOT, "template", "c-debian-numa")
    copy_tree(tdir, os.path.join(work, "template", "c-debian-numa"))
    copy_tree(os.path.join(tdir, "function"), os.path.join(work, "sample-function"))
    copy_tree(os.path.join(ROOT, "functions", "test-numa-function"), os.path.join(work, "test-numa-function"))
    with open(os.path.join(work, "stack.yml"), "w", encoding="utf-8") as f:
        f.write(STACK.format(tag=TAG))
    argv = [tl["faas_cli"], "build", "-f", "stack.yml"]
    with open(os.path.join(ctx.out_dir, "faas-build.log"), "wb") as logf:
        p = subprocess.run(argv, cwd=work, env={**os.environ, "CI": "true"}, stdout=logf,
                           stderr=subprocess.STDOUT, timeout=2 * BUILD_TIMEOUT, check=False)
    if p.returncode != 0:
        raise RuntimeError(f"faas-cli build exited {p.returncode}: see bench/out/faas-build.log")
    images = {name: f"{TAG}/{name}:latest" for name in ("sample-function", "test-numa-function")}
    how = (f"`CI=true faas-cli build -f stack.yml` in `{rel(work)}` (the template and both handlers "
           f"copied there, its stack.yml naming {TAG}/*)")
    return images, how


def peer_image(ctx, name, folder, files):
    """docker build of bench/peers/FOLDER/Dockerfile, tagged TAG/NAME, with files {destination in
    the context: source}."""
    ctxdir = os.path.join(ctx.out_dir, f"ctx-{name}")
    shutil.rmtree(ctxdir, ignore_errors=True)
    os.makedirs(ctxdir)
    for dst, src in files.items():
        target = os.path.join(ctxdir, dst)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(src, target)
    image = f"{TAG}/{name}:latest"
    argv = ["docker", "build", "-q", "-t", image, ctxdir]
    run(argv, timeout=BUILD_TIMEOUT)
    return image, f"`{show(argv)}` (context: `bench/peers/{folder}/` and its files)"


def build_all(ctx):
    """faas-cli and of-watchdog, the base image and the four images: {label: image},
    {label: how it was built}, the programs' paths and versions."""
    tl = openfaas_programs(ctx)
    base_image()
    log(f"building images ({TAG}/*): {tl['fwatchdog_version']}")
    images, how_c = c_images(ctx, tl)
    how = {name: how_c for name in images}
    go_dir, py_dir = os.path.join(BENCH, "peers", "go_http"), os.path.join(BENCH, "peers", "py_flask")
    images["go-http"], how["go-http"] = peer_image(ctx, "go-http", "go_http", {
        "Dockerfile": os.path.join(go_dir, "Dockerfile"), "handler": ctx.paths["go_http"]})
    images["python-flask"], how["python-flask"] = peer_image(ctx, "python-flask", "py_flask", {
        "Dockerfile": os.path.join(py_dir, "Dockerfile"), "index.py": os.path.join(py_dir, "index.py"),
        "function/__init__.py": os.path.join(py_dir, "function", "__init__.py"),
        "function/handler.py": os.path.join(py_dir, "function", "handler.py"),
        "function/py_alloc.py": os.path.join(BENCH, "py_alloc.py")})
    return images, how, tl


def size_bytes(image):
    out, _ = run(["docker", "image", "inspect", "-f", "{{.Size}}", image], timeout=60)
    return int(out.strip())
