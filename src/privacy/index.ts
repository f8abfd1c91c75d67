export {
  RDPAccountant, computeRdp, privacySpent, getNoiseMultiplier, DEFAULT_ORDERS,
  type RdpConversion, type PrivacySpent, type AccountantStep,
} from './accountant';
