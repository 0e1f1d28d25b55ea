// What inspectArchive must read from each real pack of the corpus — and from the sample that mirrors it
// under the same folder name (sample-packs.ts). One table for both tiers: a sample that drifts from the
// real pack's facts fails the unit tier, a corpus that changes fails the corpus tier.

export interface PackFacts {
  name: string;
  /** As written in pack.json. */
  version: string;
  normalizedVersion: string;
  layer: string;
  /** undefined when pack.json has no group, or a blank one. */
  group?: string;
  charts: number;
  kubeManifests: number;
}

export const REAL_PACK_FACTS: Readonly<Record<string, PackFacts>> = {
  'akuity-agent-0.30.0-5.5.2026': { name: 'akuity-agent', version: '0.30.0-5.5.2026', normalizedVersion: '0.30.0-5.5.2026', layer: 'addon', charts: 1, kubeManifests: 0 },
  'antrea-1.9.0': { name: 'antrea', version: '1.9.0', normalizedVersion: '1.9.0', layer: 'cni', charts: 1, kubeManifests: 0 },
  'elastic-stack-0.19.0': { name: 'elastic-stack', version: '0.19.0', normalizedVersion: '0.19.0', layer: 'addon', charts: 1, kubeManifests: 0 },
  'hello-universe-1.3.1': { name: 'hello-universe', version: '1.3.1', normalizedVersion: '1.3.1', layer: 'addon', charts: 0, kubeManifests: 1 },
  'hello-universe-pack': { name: 'hellouniverse', version: '1.0.0', normalizedVersion: '1.0.0', layer: 'addon', charts: 0, kubeManifests: 1 },
  'kubeflow-pipelines-1.5.0': { name: 'kubeflow-pipelines', version: '1.5', normalizedVersion: '1.5.0', layer: 'addon', charts: 0, kubeManifests: 2 },
  'kubevious-1.0.10': { name: 'kubevious', version: '1.0.10', normalizedVersion: '1.0.10', layer: 'addon', charts: 1, kubeManifests: 0 },
  'nfs-subdir-external-4.0.13': { name: 'csi-nfs-subdir-external', version: '4.0.13', normalizedVersion: '4.0.13', layer: 'csi', charts: 0, kubeManifests: 1 },
  'oam-app-controller-0.0.3': { name: 'oam-app-controller', version: '0.0.3', normalizedVersion: '0.0.3', layer: 'addon', charts: 3, kubeManifests: 0 },
  'outcold-26.04.4': { name: 'outcold-monitoring', version: '26.04.4', normalizedVersion: '26.4.4', layer: 'addon', charts: 1, kubeManifests: 0 },
  'permission-manager-1.0.0': { name: 'permission-manager', version: '1.0.0', normalizedVersion: '1.0.0', layer: 'addon', charts: 0, kubeManifests: 1 },
  'trident-operator-23.07.1': { name: 'csi-trident', version: '23.07.1', normalizedVersion: '23.7.1', layer: 'csi', charts: 1, kubeManifests: 0 },
};
