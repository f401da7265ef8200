/** ESP (IPsec) NIC offload detection, shared by the labeler and the libreswan driver. */
export { parseEthtoolFeatures, type Features, type FeatureState } from './ethtool-features.js';
export { espOffloadOf, ESP_FEATURES, type EspFeature, type EspOffload } from './esp-offload.js';
export { detectEspOffload, capableInterfaces, systemProbe, type OffloadProbe, type OffloadReport } from './detect.js';
export { offloadTowards } from './route-offload.js';
