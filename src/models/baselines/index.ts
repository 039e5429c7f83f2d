/** Baselines of the PTB-XL benchmark (Strodthoff et al. 2020), built on src/nn with PyTorch twins in bench/baselines_torch.py. */
export { ConcatPoolHead, ConvBn, initialiseLikeBenchmark } from './common.js';
export {
  ResNet1dWang,
  BasicBlock1d,
  resnet1dWangConfig,
  resnet1dWangConfigSchema,
  type ResNet1dWangConfig,
} from './resnet1d-wang.js';
export {
  XResNet1d,
  XResBlock1d,
  xresnet1d101Config,
  xresnet1dConfigSchema,
  type XResNet1dConfig,
  type ResBlockSpec,
} from './xresnet1d.js';
export {
  Inception1d,
  InceptionBlock1d,
  branchKernels,
  inception1dConfig,
  inception1dConfigSchema,
  type Inception1dConfig,
} from './inception1d.js';
