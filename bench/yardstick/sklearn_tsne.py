# Yardstick for bench/speed.ts: scikit-learn's Barnes-Hut t-SNE on the same features convscope
# embeds (an .npy written by bench/speed.ts), with the same perplexity, iterations, angle and
# initialisation. Used only to time scikit-learn on this machine; convscope never imports it.
# Run with Debian's python3 (/usr/bin/python3 with python3-sklearn).
#
#   sklearn_tsne.py --x features.npy --out embedding.npy [--threads 2] [--perplexity 30] [--iterations 1000]
#
# Prints one JSON object: seconds (wall) and cpuSeconds of fit_transform, the KL divergence and
# the iterations run. Trustworthiness is computed by bench/speed.ts for both embeddings alike.

import argparse
import json
import time

ap = argparse.ArgumentParser()
ap.add_argument('--x', required=True)
ap.add_argument('--out', required=True)
ap.add_argument('--threads', type=int, default=2)
ap.add_argument('--perplexity', type=float, default=30.0)
ap.add_argument('--iterations', type=int, default=1000)
ap.add_argument('--seed', type=int, default=0)
args = ap.parse_args()

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.manifold import TSNE  # noqa: E402

x = np.load(args.x).astype(np.float32)
params = dict(n_components=2, perplexity=args.perplexity, early_exaggeration=12.0, learning_rate='auto',
              init='pca', method='barnes_hut', angle=0.5, n_jobs=args.threads, random_state=args.seed)
# scikit-learn renamed n_iter to max_iter in 1.5.
params['max_iter' if tuple(int(v) for v in sklearn.__version__.split('.')[:2]) >= (1, 5) else 'n_iter'] = args.iterations
tsne = TSNE(**params)
c0 = time.process_time()
t0 = time.perf_counter()
y = tsne.fit_transform(x)
seconds = time.perf_counter() - t0
cpu = time.process_time() - c0
np.save(args.out, y.astype(np.float32))
print(json.dumps({'sklearn': sklearn.__version__, 'threads': args.threads, 'n': int(x.shape[0]), 'd': int(x.shape[1]),
                  'seconds': seconds, 'cpuSeconds': cpu, 'kl': float(tsne.kl_divergence_), 'iterations': int(tsne.n_iter_)}))
