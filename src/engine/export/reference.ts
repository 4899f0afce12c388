// What we know about the reference PyTorch implementation of SyncCP, solo-learn-sparse
// (github.com/mengjian0502/solo-learn-sparse, a fork of solo-learn), read from its
// source, never copied. Pure data: no DOM, no node: imports (the app uses it too).
//
// Why a pinned commit and not HEAD: at HEAD (f3806784, 2023-04-20) BYOL's pruner is
// commented out (since be73de33, 2023-01-29, which replaced it with a width "slicer"),
// so --prune and friends are parsed and then ignored. 9d66e017 (2023-01-24, "compact
// model") is the last commit whose BYOL builds the SyncCP pruner for unstructured and
// N:M sparsity and whose SparsConv2d accepts the arguments its sparse ResNets pass.
// The next one (f43036b0, "light ssl") changed SparsConv2d so that sresnet18/50 no
// longer construct; a98d262a and e8159ed9 leave merge-conflict markers in base.py.

export const REFERENCE = {
  name: 'solo-learn-sparse',
  repo: 'mengjian0502/solo-learn-sparse',
  cloneUrl: 'https://github.com/mengjian0502/solo-learn-sparse.git',
  /** The commit the exported script checks out, and that the flag fixture was read from. */
  commit: '9d66e0179993b37ab30c7d47351124e794d6b489',
  commitDate: '2023-01-24',
  /** HEAD when it was read: same flags, but BYOL no longer prunes there. */
  head: 'f3806784e996af182a930acdc0ec9cb4dea88915',
  /** Its requirements pin Lightning 1.6.4, whose Trainer flags main_pretrain.py passes through. */
  lightning: '1.6.4',
} as const;

export type RefDataset = 'cifar10' | 'imagenet';
export const REF_DATASETS: readonly RefDataset[] = ['cifar10', 'imagenet'];

/** Training images: what the reference's loader length (and so its "epoch") is made of. */
export const DATASET_SIZE: Record<RefDataset, number> = { cifar10: 50_000, imagenet: 1_281_167 };

/** Epochs when --epochs is not given: solo-learn's CIFAR recipe and the fork's ImageNet SyncCP script. */
export const DEFAULT_EPOCHS: Record<RefDataset, number> = { cifar10: 1000, imagenet: 100 };

/**
 * Recipe values from the reference's own scripts (scripts/pretrain/cifar/{byol,simclr}.sh,
 * scripts/pretrain/imagenet/byol_nm_sparse.sh, scripts/pretrain/imagenet-100/simclr.sh):
 * optimiser, learning rates, colour-jitter strengths, blur/solarisation, head sizes.
 */
export interface Recipe {
  lr: number;
  classifierLr: number;
  weightDecay: number;
  etaLars: number;
  gradClipLars: boolean;
  /** Global batch (cifar10: kept across GPU counts) or per-GPU batch (imagenet). */
  batch: { perGpu?: number; global?: number };
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
  /** Per augmentation pipeline; two entries = BYOL's asymmetric pair of pipelines. */
  gaussianProb: number[];
  solarizationProb?: number[];
  numCropsPerAug: number[];
  cropSize?: number;
  projHidden: number;
  projOut: number;
  predHidden?: number;
  /** Batches the recipe accumulates into one optimiser step (--accumulate_grad_batches), which the export does not carry. */
  accumulate?: number;
  source: string;
}

export const RECIPES: Record<'byol' | 'simclr', Record<RefDataset, Recipe>> = {
  byol: {
    cifar10: {
      lr: 1.0, classifierLr: 0.1, weightDecay: 1e-5, etaLars: 0.02, gradClipLars: true,
      batch: { global: 256 },
      brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1,
      gaussianProb: [0, 0], solarizationProb: [0, 0.2], numCropsPerAug: [1, 1], cropSize: 32,
      projHidden: 4096, projOut: 256, predHidden: 4096,
      source: 'scripts/pretrain/cifar/byol.sh',
    },
    imagenet: {
      lr: 0.45, classifierLr: 0.2, weightDecay: 1e-6, etaLars: 0.001, gradClipLars: false,
      batch: { perGpu: 128 },
      brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1,
      gaussianProb: [1.0, 0.1], solarizationProb: [0, 0.2], numCropsPerAug: [1, 1],
      projHidden: 4096, projOut: 256, predHidden: 4096, accumulate: 16,
      source: 'scripts/pretrain/imagenet/byol_nm_sparse.sh',
    },
  },
  simclr: {
    cifar10: {
      lr: 0.4, classifierLr: 0.1, weightDecay: 1e-5, etaLars: 0.02, gradClipLars: true,
      batch: { global: 256 },
      brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2,
      gaussianProb: [0, 0], numCropsPerAug: [1, 1], cropSize: 32,
      projHidden: 2048, projOut: 256,
      source: 'scripts/pretrain/cifar/simclr.sh',
    },
    imagenet: {
      lr: 0.3, classifierLr: 0.1, weightDecay: 1e-4, etaLars: 0.02, gradClipLars: true,
      batch: { perGpu: 128 },
      brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2,
      gaussianProb: [0.5], numCropsPerAug: [2],
      projHidden: 2048, projOut: 128,
      source: 'scripts/pretrain/imagenet-100/simclr.sh',
    },
  },
};

/**
 * Densest start the export writes: the reference's masks start random (ERK) at
 * --init-density and its target branch at --init-density + --density_gap, and its ERK
 * initialisation and top-k fail above 1. Its own byol_nm_sparse.sh starts at exactly 1
 * (0.7 + 0.3); the export keeps 0.95, a margin for float rounding we could not check by
 * running it (no PyTorch where this was written).
 */
export const START_CAP = 0.95;

/** Its N:M ramp ends with this fraction of groups N:M (final_prob = 0.01 is hard-coded). */
export const REF_NM_END_FRACTION = 0.99;

/** With --prune-rate 0 its drop/regrow fraction still rises towards this cosine floor (eta_min). */
export const REF_REGROW_FLOOR = 0.005;

/**
 * Its drop/regrow fraction at the end of a run on `gpus` GPUs. byol.py decays it with
 * CosineDecay(prune_rate, T_max = train_steps × max_epochs), stepped once a batch in each
 * process, where train_steps counts the whole dataset's batches (measured before DDP splits
 * the data): a process runs 1/gpus of T_max, so the cosine ends at π/gpus, not π. From
 * `rate` towards the floor: floor + (rate − floor)(1 + cos(π/gpus)) / 2 (1 GPU: the floor).
 */
export function refRegrowEnd(rate: number, gpus: number): number {
  return REF_REGROW_FLOOR + (rate - REF_REGROW_FLOOR) * (1 + Math.cos(Math.PI / gpus)) / 2;
}

/**
 * The Python launcher the exported script writes next to main_pretrain.py. Our own code:
 * run-time fixes for defects found by reading the pinned commit (not by running it), then
 * main_pretrain.main() with the same argv. It is started as a script, so Lightning's DDP
 * re-runs it (sys.argv[0]) in every process and each process gets the fixes.
 */
export const LAUNCHER_FILE = 'syncp_launch.py';

export const LAUNCHER_PY = `"""Written by the SparseCL Playground export for solo-learn-sparse @ ${REFERENCE.commit.slice(0, 12)}.

Applies run-time fixes for defects found by reading that commit (see MAPPING.md), then runs
main_pretrain.main() with the command line unchanged. Lightning's DDP re-runs this file in
every process, so each process gets the same fixes.
"""
import os
import sys

import torch
import torch.nn as nn


def _arg(name, default=None):
    argv = sys.argv
    return argv[argv.index(name) + 1] if name in argv and argv.index(name) + 1 < len(argv) else default


# Fix 0: SparsConv2d and the pruner create masks and score buffers with .cuda() while the
# model is built, before Lightning selects this process's GPU, so in every DDP process they
# would land on GPU 0. Select this process's GPU first (Lightning's device for local rank r
# is the r-th entry of --devices).
if torch.cuda.is_available():
    _devices = [int(d) for d in str(_arg("--devices", "0")).split(",") if d.strip() != ""]
    _rank = int(os.environ.get("LOCAL_RANK", "0"))
    if _devices and _rank < len(_devices):
        torch.cuda.set_device(_devices[_rank])

from solo.backbones.resnet import sresnet  # noqa: E402
from solo.methods import pruner as _pruner  # noqa: E402

# Fix 1: base.py reads .last_channel from every backbone whose name does not start with
# "resnet"; the sparse ResNets (sresnet18/50) have none. Their feature width is .inplanes.
if not hasattr(sresnet.ResNet, "last_channel"):
    sresnet.ResNet.last_channel = property(lambda self: self.inplanes)

# Fix 2 (CIFAR only): sresnet is built for 224x224 inputs (7x7 stride-2 stem, max-pool and a
# fixed 7x7 average pool, which fails on 32x32 inputs). Use a 3x3 stride-1 stem, no max-pool
# and a global average pool, the change solo-learn makes to its dense resnet18 for CIFAR.
if _arg("--dataset") in ("cifar10", "cifar100"):
    _resnet_init = sresnet.ResNet.__init__

    def _cifar_init(self, *args, **kwargs):
        _resnet_init(self, *args, **kwargs)
        self.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=2, bias=False)
        self.maxpool = nn.Identity()
        self.avgpool = nn.AdaptiveAvgPool2d(1)

    sresnet.ResNet.__init__ = _cifar_init


# Fix 3: with --momentum_mask the N:M pruner keeps its score EMA on the CPU (the weights are
# on the GPU); move the EMA buffers to the weights' device before each update.
def _device_safe_ema(ema):
    def wrapped(self):
        device = next(self.model.parameters()).device
        for buf in (self.online_ema, self.offline_ema):
            for key in list(buf):
                if buf[key].device != device:
                    buf[key] = buf[key].to(device)
        return ema(self)

    return wrapped


for _name in ("ContrastiveMMask", "ContrastiveMNM"):
    _cls = getattr(_pruner, _name, None)
    if _cls is not None and "ema" in _cls.__dict__:
        _cls.ema = _device_safe_ema(_cls.ema)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import main_pretrain  # noqa: E402

if __name__ == "__main__":
    main_pretrain.main()
`;
