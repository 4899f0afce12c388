#!/usr/bin/env node
// Finds a Chromium for the Playwright e2e tests and the Node WebGPU tests (Playwright
// cannot download its own browsers here; Dawn in Node takes its SwiftShader Vulkan
// driver from Chromium and needs the Vulkan loader, libvulkan1). Order: $CHROMIUM_PATH,
// /usr/bin/chromium, /usr/bin/chromium-browser; on Debian/Ubuntu as root, installs the
// distribution's `chromium` (and `libvulkan1` when the loader is missing); otherwise
// exits 1 saying what to install.
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);

function found() {
  return CANDIDATES.find((p) => existsSync(p));
}

function run(cmd, args) {
  console.error(`ensure-chromium: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0;
}

function hasVulkanLoader() {
  const r = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' });
  return r.status !== 0 || /libvulkan\.so\.1/.test(r.stdout ?? '');
}

let osRelease = '';
try {
  osRelease = readFileSync('/etc/os-release', 'utf8');
} catch {
  /* not Linux or unusual layout */
}
const debianLike = /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(osRelease);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

let path = found();
const needVulkan = !hasVulkanLoader();
if (!path || needVulkan) {
  if (debianLike && isRoot) {
    // Debian ships `chromium`; on Ubuntu the same name may be a snap shim, which still works headless.
    const pkgs = [...(path ? [] : ['chromium']), ...(needVulkan ? ['libvulkan1'] : [])];
    if (run('apt-get', ['update']) && run('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs])) path = found();
  } else if (path && needVulkan) {
    console.error('ensure-chromium: the Vulkan loader (libvulkan.so.1) is missing; the Node WebGPU tests need it (Debian: apt-get install -y libvulkan1).');
  }
  if (!path) {
    console.error(
      [
        'ensure-chromium: no Chromium found for the end-to-end tests.',
        debianLike && !isRoot
          ? '  Install it as root: sudo apt-get update && sudo apt-get install -y chromium'
          : '  Install Chromium (Debian/Ubuntu: apt-get install -y chromium) or any Chromium ≥ 121 with WebGPU,',
        '  then point the tests at it with CHROMIUM_PATH=/path/to/chromium if it is not /usr/bin/chromium.',
      ].join('\n'),
    );
    process.exit(1);
  }
}
console.error(`ensure-chromium: using ${path}`);

// Debian's Fashion-MNIST originals, which one unit test compares the shipped subset with (it
// is skipped without them): installed as the browser is, where that can be done; never fatal.
const FASHION = '/usr/share/datasets/fashion-mnist';
if (!existsSync(FASHION) && debianLike && isRoot) {
  const install = () => run('apt-get', ['install', '-y', '--no-install-recommends', 'dataset-fashion-mnist']);
  if (!install() && !(run('apt-get', ['update']) && install())) console.error('ensure-chromium: dataset-fashion-mnist could not be installed; the test against it is skipped.');
}
