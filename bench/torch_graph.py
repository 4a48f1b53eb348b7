#!/usr/bin/python3
"""The same net in PyTorch: builds a torch module from a studio Graph (graph IR, NCHW, OIHW)
dumped by bench/compute.ts as JSON + one float32 file, and times its forward pass on one tile.

  torch_graph.py GRAPH.json WEIGHTS.bin --tile T [--threads 2] [--runs 5] [--check IN.bin OUT.bin]

Prints one JSON line: {"ms_min", "ms_median", "threads", "torch"}. With --check it also runs
IN.bin (NCHW float32, tile x tile) and writes the output, so the bench can confirm both sides
compute the same thing. Run with Debian's python: /usr/bin/python3 (python3-torch).
"""
import json, sys, time
import numpy as np
import torch
import torch.nn.functional as F


def load(graph_path, bin_path):
    g = json.load(open(graph_path))
    blob = np.fromfile(bin_path, dtype=np.float32)
    t = lambda ref: torch.from_numpy(blob[ref[0]:ref[0] + ref[1]].copy())
    nodes = []
    for n in g['nodes']:
        n = dict(n)
        for k in ('weight', 'bias', 'slope'):
            if k in n:
                n[k] = t(n[k])
        if n['op'] == 'conv':
            n['weight'] = n['weight'].reshape(n['weightShape'])
        nodes.append(n)
    return g, nodes


def forward(g, nodes, x):
    v = {g['input']: x}
    for n in nodes:
        op = n['op']
        i = v[n['input']] if 'input' in n else None
        if op == 'conv':
            y = F.conv2d(i, n['weight'], n.get('bias'), stride=n.get('stride', 1), padding=n['pad'], groups=n.get('groups', 1))
        elif op == 'relu':
            y = F.relu(i)
        elif op == 'leakyRelu':
            y = F.leaky_relu(i, n['alpha'])
        elif op == 'prelu':
            y = F.prelu(i, n['slope'])
        elif op == 'sigmoid':
            y = torch.sigmoid(i)
        elif op == 'tanh':
            y = torch.tanh(i)
        elif op == 'scale':
            y = i * n['factor']
        elif op == 'clip':
            y = i.clamp(n['min'], n['max'])
        elif op == 'add':
            y = v[n['inputs'][0]] + v[n['inputs'][1]]
        elif op == 'concat':
            y = torch.cat([v[k] for k in n['inputs']], 1)
        elif op == 'pixelShuffle':
            r = n['factor']
            if n['mode'] == 'CRD':
                y = F.pixel_shuffle(i, r)
            else:  # DCR (TensorFlow's depth_to_space)
                b, c, h, w = i.shape
                y = i.reshape(b, r, r, c // (r * r), h, w).permute(0, 3, 4, 1, 5, 2).reshape(b, c // (r * r), h * r, w * r)
        elif op == 'pixelUnshuffle':
            y = F.pixel_unshuffle(i, n['factor'])
        elif op == 'upsampleNearest':
            y = F.interpolate(i, scale_factor=n['factor'], mode='nearest')
        elif op == 'upsampleBilinear':
            y = F.interpolate(i, scale_factor=n['factor'], mode='bilinear', align_corners=False)
        else:
            raise SystemExit('unknown op ' + op)
        v[n['out']] = y
    return v[g['output']]


def main(argv):
    graph_path, bin_path = argv[:2]
    rest = argv[2:]
    opt = lambda name, default: type(default)(rest[rest.index(name) + 1]) if name in rest else default
    torch.set_num_threads(opt('--threads', 2))
    tile, runs = opt('--tile', 128), opt('--runs', 5)
    g, nodes = load(graph_path, bin_path)
    with torch.no_grad():
        if '--check' in rest:
            k = rest.index('--check')
            x = torch.from_numpy(np.fromfile(rest[k + 1], dtype=np.float32).reshape(1, g['inChannels'], tile, tile))
            forward(g, nodes, x).numpy().astype(np.float32).tofile(rest[k + 2])
        x = torch.rand(1, g['inChannels'], tile, tile) * g['range']
        forward(g, nodes, x)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            forward(g, nodes, x)
            times.append(time.perf_counter() - t0)
    print(json.dumps({'ms_min': round(min(times) * 1e3, 2), 'ms_median': round(sorted(times)[len(times) // 2] * 1e3, 2),
                      'threads': torch.get_num_threads(), 'torch': torch.__version__}))


if __name__ == '__main__':
    main(sys.argv[1:]) if len(sys.argv) > 2 else sys.exit(__doc__)
