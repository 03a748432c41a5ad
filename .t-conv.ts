import { Etcd3 } from 'etcd3';
import { convergence } from './bench/watch-convergence.ts';
const kv = new Etcd3({ hosts: 'http://127.0.0.1:23791' });
const r = await convergence(kv, { dir: '/tmp/perfw', etcdUrl: 'http://127.0.0.1:23791', prefix: '/large', dst: '/tmp/perfw/conv-large.cfg', watch: true, services: 10000, samples: 15 });
const s = [...r.times].sort((a, b) => a - b);
console.log('first', r.firstRenderMs.toFixed(0), 'median', s[Math.floor(s.length / 2)].toFixed(1), 'acks', [...r.acks].sort((a,b)=>a-b)[7].toFixed(1), 'rss', (process.memoryUsage().rss / 2 ** 20).toFixed(0));
kv.close();
