# Yardstick for bench/speed.ts: BaSe's CNN (128x128x1) in PyTorch, with the weights convscope
# read from the same Keras file (exported by bench/speed.ts as .npy files). Used only to time
# what PyTorch does on this machine; convscope never imports it. Run with Debian's python3
# (/usr/bin/python3 with python3-torch).
#
#   prepare     --weights DIR --out state.pt         weights (.npy) -> a PyTorch state dict
#   throughput  --state state.pt --threads T         forward images/s (plain and frozen), by batch
#   gradients   --state state.pt --threads T         saliency and Grad-CAM images/s (autograd)
#   smoothgrad  --state state.pt --x x1.npy          SmoothGrad of one input (50 noisy copies)
#   occlusion   --state state.pt --x x1.npy --out o.npy   whole-process occlusion (256 passes)
#   predict     --state state.pt --x x.npy --out p.npy    whole-process predictions
#
# Every mode prints one JSON object on stdout.

import argparse
import json
import os
import sys
import time


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument('mode')
    ap.add_argument('--weights')
    ap.add_argument('--state')
    ap.add_argument('--x')
    ap.add_argument('--out')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--batches', default='1,32,64,128')
    ap.add_argument('--seconds', type=float, default=2.0)
    ap.add_argument('--window', type=int, default=8)
    ap.add_argument('--stride', type=int, default=8)
    ap.add_argument('--samples', type=int, default=50)
    ap.add_argument('--sigma', type=float, default=0.15)
    ap.add_argument('--frozen', action='store_true', help='whole-process modes: torch.jit freeze + optimize_for_inference')
    return ap.parse_args()


args = parse()
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)
torch.set_num_interop_threads(1)


class BaseCnn(nn.Module):
    """BaSe's CNN: [conv 3x3 32 -> BN -> ReLU -> maxpool 2] x 2 -> conv -> BN -> ReLU -> dense 128 ReLU -> dense 1."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(32, eps=1e-3)
        self.conv2 = nn.Conv2d(32, 32, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(32, eps=1e-3)
        self.conv3 = nn.Conv2d(32, 32, 3, padding=1)
        self.bn3 = nn.BatchNorm2d(32, eps=1e-3)
        self.fc1 = nn.Linear(32 * 32 * 32, 128)
        self.fc2 = nn.Linear(128, 1)

    def features(self, x):
        """Input (N, 1, 128, 128) -> the last conv's output (Grad-CAM's layer), before BN."""
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        return self.conv3(x)

    def head(self, a):
        """Last conv output -> the logit (pre-sigmoid score)."""
        x = F.relu(self.bn3(a))
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)

    def forward(self, x):
        return torch.sigmoid(self.head(self.features(x)))


def load_npy_weights(folder):
    """Keras-layout arrays (manifest.json names them) -> a state dict of BaseCnn."""
    with open(os.path.join(folder, 'manifest.json')) as f:
        manifest = json.load(f)
    w = {k: np.load(os.path.join(folder, v)) for k, v in manifest.items()}
    sd = {}
    for i in (1, 2, 3):
        sd[f'conv{i}.weight'] = torch.from_numpy(np.ascontiguousarray(w[f'conv{i}.kernel'].transpose(3, 2, 0, 1)))
        sd[f'conv{i}.bias'] = torch.from_numpy(w[f'conv{i}.bias'])
        for a, b in (('weight', 'gamma'), ('bias', 'beta'), ('running_mean', 'mean'), ('running_var', 'variance')):
            sd[f'bn{i}.{a}'] = torch.from_numpy(w[f'bn{i}.{b}'])
        sd[f'bn{i}.num_batches_tracked'] = torch.tensor(0)
    # Keras flattens (h, w, c); PyTorch (c, h, w): permute the rows of the first dense kernel.
    k1 = w['fc1.kernel'].reshape(32, 32, 32, 128).transpose(2, 0, 1, 3).reshape(32768, 128)
    sd['fc1.weight'] = torch.from_numpy(np.ascontiguousarray(k1.T))
    sd['fc1.bias'] = torch.from_numpy(w['fc1.bias'])
    sd['fc2.weight'] = torch.from_numpy(np.ascontiguousarray(w['fc2.kernel'].T))
    sd['fc2.bias'] = torch.from_numpy(w['fc2.bias'])
    return sd


def load_model(state):
    m = BaseCnn()
    m.load_state_dict(torch.load(state))
    return m.eval()


def frozen(model, batch):
    example = torch.zeros(batch, 1, 128, 128)
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
        return torch.jit.optimize_for_inference(torch.jit.freeze(traced))


def nchw(x):
    """(N, 128, 128, 1) float32 -> (N, 1, 128, 128)."""
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2), dtype=np.float32))


def rate(images, fn, seconds):
    """Median and best images/s of repeated calls (after 2 warm-up calls), and per CPU second."""
    fn()
    fn()
    rates, cpu = [], []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(rates) < 3:
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        rates.append(images / (time.perf_counter() - t0))
        cpu.append(images / max(1e-9, time.process_time() - c0))
    rates.sort()
    cpu.sort()
    return {'median': rates[len(rates) // 2], 'best': rates[-1], 'perCpuSecond': cpu[len(cpu) // 2]}


def main():
    out = {'torch': torch.__version__, 'threads': args.threads}
    if args.mode == 'prepare':
        torch.save(load_npy_weights(args.weights), args.out)
    elif args.mode == 'throughput':
        model = load_model(args.state)
        rows = []
        for b in [int(v) for v in args.batches.split(',')]:
            x = torch.rand(b, 1, 128, 128)
            with torch.no_grad():
                rows.append({'kind': 'plain', 'batch': b, **rate(b, lambda: model(x), args.seconds)})
                fm = frozen(model, b)
                rows.append({'kind': 'frozen', 'batch': b, **rate(b, lambda: fm(x), args.seconds)})
        out['rows'] = rows
    elif args.mode == 'gradients':
        model = load_model(args.state)
        for p in model.parameters():
            p.requires_grad_(False)
        x = torch.rand(args.batch, 1, 128, 128)

        def saliency():
            xi = x.clone().requires_grad_(True)
            model.head(model.features(xi)).sum().backward()
            return xi.grad

        def gradcam():
            with torch.no_grad():
                a = model.features(x)
            a.requires_grad_(True)
            model.head(a).sum().backward()
            g = a.grad
            w = g.mean(dim=(2, 3), keepdim=True)
            return F.relu((w * a.detach()).sum(1))

        out['saliency'] = rate(args.batch, saliency, args.seconds)
        out['gradcam'] = rate(args.batch, gradcam, args.seconds)
    elif args.mode == 'smoothgrad':
        model = load_model(args.state)
        for p in model.parameters():
            p.requires_grad_(False)
        x = nchw(np.load(args.x))[:1]
        gen = torch.Generator().manual_seed(0)

        def smooth():
            sigma = args.sigma * float(x.max() - x.min())
            total = torch.zeros_like(x)
            for s in range(0, args.samples, args.batch):
                b = min(args.batch, args.samples - s)
                xi = (x + sigma * torch.randn(b, 1, 128, 128, generator=gen)).requires_grad_(True)
                model.head(model.features(xi)).sum().backward()
                total += xi.grad.sum(0, keepdim=True)
            return total / args.samples

        out['smoothgrad'] = rate(1, smooth, args.seconds)
    elif args.mode in ('occlusion', 'predict'):
        model = load_model(args.state)
        x = nchw(np.load(args.x))
        net = frozen(model, args.batch) if args.frozen else model
        with torch.no_grad():
            if args.mode == 'predict':
                res = torch.cat([net(x[s:s + args.batch]) for s in range(0, x.shape[0], args.batch)]).numpy()
            else:
                img = x[:1]
                base = float(net(img)[0, 0])
                w, st = args.window, args.stride
                pos = [(r, c) for r in range(0, 128 - w + 1, st) for c in range(0, 128 - w + 1, st)]
                probs = []
                for s in range(0, len(pos), args.batch):
                    chunk = pos[s:s + args.batch]
                    xb = img.repeat(len(chunk), 1, 1, 1)
                    for i, (r, c) in enumerate(chunk):
                        xb[i, :, r:r + w, c:c + w] = 0
                    probs.append(net(xb)[:, 0])
                res = base - torch.cat(probs).numpy()
        np.save(args.out, res)
        out['n'] = int(res.shape[0])
    else:
        sys.exit(f'unknown mode {args.mode}')
    print(json.dumps(out))


main()
