/**
 * EfficientECG-Fusion: EfficientECG's ECG representation fused with patient features (age, sex, rhythm or RR
 * context groups) through cross-attention, with a concatenation baseline. See docs/fusion.md.
 */
export {
  EfficientEcgFusion,
  FusionHead,
  EcgEncoder,
  CrossAttentionBlock,
  type AttentionMap,
  type FusionAttention,
  type FusionOutput,
} from './fusion/model.js';
export {
  fusionConfig,
  validateFusionConfig,
  samplesPerPosition,
  ageGroup,
  sexGroup,
  rhythmGroup,
  beatsGroup,
  rrContextGroup,
  numericGroup,
  FUSION_DESIGNS,
  NULL_TOKEN,
  type FusionConfig,
  type FusionOptions,
  type FusionDesign,
  type FusionDesignSpec,
  type PositionEncoding,
  type TokenGroupSpec,
  type TokenKind,
  type NumericGroupSpec,
  type CategoricalGroupSpec,
  type BeatPcaSpec,
} from './fusion/config.js';
export {
  encodePatients,
  fitStandardisation,
  presence,
  type EncodedGroup,
  type PatientRow,
  type PatientTensors,
} from './fusion/patients.js';
