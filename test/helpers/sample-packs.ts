// The catalogue of sample packs tests build their archives from. Nothing here is read from outside the
// repository: each pack mirrors the shape of a real community pack (its pack.json fields, file layout,
// charts, manifests, loose version, blank group, hidden files, sizes within a small factor) with content
// written by test/helpers/kube-yaml.ts; hello-universe-pack is the one real pack whose licence lets us
// keep a copy (test/fixtures/packs/). The real packs themselves run as the corpus tier (test/corpus/).
import { fileURLToPath } from 'node:url';
import { crdManifest, kubeManifest, readme } from './kube-yaml.js';
import { type ChartSpec, type PackSpec, buildPackFiles, chartArchive } from './pack-builder.js';
import { readPackFolder } from './pack-folder.js';
import { contentImages, documentedSettings, indent, k8sDependencies, presetsYaml, schemaYaml } from './pack-yaml.js';
import { logoOfAbout, pngImage } from './png.js';

export interface SamplePack {
  /** The folder name, which is also the top-level folder of its archive. */
  folder: string;
  /** What the sample stands for and what it exercises. */
  exercises: string;
  /** The pack's files, sorted by path. Built on first use and kept for the process: do not modify the buffers. */
  files(): Promise<ReadonlyMap<string, Buffer>>;
}

/** The folder holding the real packs copied into the repository. */
export const IN_REPO_PACKS_DIR = fileURLToPath(new URL('../fixtures/packs/', import.meta.url));

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

function built(folder: string, exercises: string, spec: () => PackSpec): SamplePack {
  return { folder, exercises, files: once(async () => buildPackFiles(spec())) };
}

const COMMUNITY = { source: 'community', contributor: 'spectrocloud' };

const akuityAgent = built('akuity-agent-0.30.0-5.5.2026', 'a date-stamped prerelease version "0.30.0-5.5.2026", blank group and eol " ", an empty kubeManifests list, a chart without .helmignore, schema.yaml', () => {
  const chart: ChartSpec = { name: 'akuity-agent', version: '0.30.0-5.5.2026', appVersion: '0.30.0', templates: ['rbac.yaml', 'register-job.yaml', 'secret.yaml'], helmignore: false };
  return {
    packJson: {
      addonType: 'app-services',
      annotations: {},
      cloudTypes: ['all'],
      displayName: 'Akuity Agent',
      eol: ' ',
      group: ' ',
      kubeManifests: [],
      layer: 'addon',
      name: 'akuity-agent',
      version: '0.30.0-5.5.2026',
    },
    values: `pack:\n  # The namespace on the target cluster to install this chart.\n  namespace: "akuity"\n\ncharts:\n  akuity-agent:\n${indent(['clusterName: ""', 'instanceName: ""', 'organizationName: ""', 'akuityApiKeyId: ""', 'akuityApiKeySecret: ""', 'akuityServerUrl: "https://akuity.example"', documentedSettings('agent', 6)].join('\n'), 4)}`,
    readme: readme('Akuity Agent', ['Prerequisites', 'Parameters', 'Upgrade', 'Troubleshooting', 'References']),
    logo: logoOfAbout(11_900, 'akuity-agent'),
    charts: [{ chart }],
    files: { 'schema.yaml': schemaYaml([['charts.akuity-agent.akuityApiKeySecret', 'password']]) },
  };
});

const antreaChart: ChartSpec = {
  name: 'antrea',
  version: '1.9.0',
  templates: [
    ...['clusterrole', 'clusterrolebinding', 'daemonset', 'ipsec-secret', 'secret', 'serviceaccount'].map((t) => `agent/${t}.yaml`),
    ...['clusterrole', 'clusterrolebinding', 'secret', 'serviceaccount'].map((t) => `antctl/${t}.yaml`),
    'cluster-identity-reader/clusterrolebinding.yaml',
    'configmap.yaml',
    ...['apiservices', 'clusterrole', 'clusterrolebinding', 'deployment', 'service', 'serviceaccount'].map((t) => `controller/${t}.yaml`),
    'crds-rbac/clusterroles.yaml',
    'crds/group.yaml',
    'simulator/configmap.yaml',
    'simulator/statefulset.yaml',
    'webhooks/mutating/crdmutator.yaml',
    'webhooks/mutating/labelsmutator.yaml',
    'webhooks/validating/crdvalidator.yaml',
    ...['clusterrole', 'clusterrolebinding', 'secret', 'serviceaccount'].map((t) => `whereabouts/${t}.yaml`),
  ],
  files: {
    'README.md': readme('antrea chart', ['Values']),
    'conf/antrea-agent.conf': documentedSettings('agent', 40),
    'conf/antrea-cni.conflist': '{\n  "cniVersion": "0.3.0",\n  "name": "antrea",\n  "plugins": [{ "type": "antrea", "ipam": { "type": "host-local" } }, { "type": "portmap" }]\n}\n',
    'conf/antrea-controller.conf': documentedSettings('controller', 20),
    ...Object.fromEntries(
      ['AntreaAgentInfo', 'AntreaControllerInfo', 'ClusterGroup', 'ClusterNetworkPolicy', 'Egress', 'ExternalEntity', 'ExternalIPPool', 'ExternalNode', 'IPPool', 'NetworkPolicy', 'SupportBundleCollection', 'Tier', 'Traceflow', 'TrafficControl'].map((kind) => [
        `crds/${kind.toLowerCase()}.yaml`,
        crdManifest('crd.antrea.io', kind, 25),
      ]),
    ),
  },
};

const antrea = built('antrea-1.9.0', 'a cni layer, group and eol "", ansibleRoles, a chart .tgz next to its unpacked source (52 files, .helmignore among them)', () => ({
  packJson: { ansibleRoles: [], annotations: COMMUNITY, cloudTypes: ['vsphere'], displayName: 'Antrea', eol: '', group: '', layer: 'cni', name: 'antrea', version: '1.9.0' },
  values: `pack:\n  namespace: "kube-system"\n\ncharts:\n  antrea:\n${indent(`image:\n  repository: "registry.example/antrea/antrea-ubuntu"\n  pullPolicy: "IfNotPresent"\n  tag: ""\ntrafficEncapMode: "encap"\ntunnelType: "geneve"\n${documentedSettings('antrea', 90)}`, 4)}`,
  readme: readme('Antrea', ['Prerequisites', 'Parameters']),
  logo: logoOfAbout(8_400, 'antrea'),
  charts: [{ chart: antreaChart, unpacked: true }],
}));

const ECK_COMPONENTS: [name: string, templates: string[], examples: string[]][] = [
  ['eck-agent', ['cluster-role-binding.yaml', 'cluster-role.yaml', 'elastic-agent.yaml', 'service-account.yaml'], ['fleet-agents.yaml', 'system-integration.yaml']],
  ['eck-apm-server', ['apmserver.yaml'], ['jaeger-with-http-configuration.yaml']],
  ['eck-autoops-agent-policy', ['autoopsagentpolicy.yaml'], ['basic.yaml']],
  ['eck-beats', ['beats.yaml', 'cluster-role-binding.yaml', 'cluster-role.yaml', 'service-account.yaml'], ['auditbeat_hosts.yaml', 'filebeat_no_autodiscover.yaml', 'heartbeat_es_kb_health.yaml', 'metricbeat_hosts.yaml', 'packetbeat_dns_http.yaml']],
  ['eck-elasticsearch', ['elasticsearch.yaml', 'ingress.yaml'], ['hot-warm-cold.yaml', 'ingress/elasticsearch-ingress-aks.yaml', 'ingress/elasticsearch-ingress-eks-alb.yaml', 'ingress/elasticsearch-ingress-eks-nlb.yaml', 'ingress/elasticsearch-ingress-gke.yaml']],
  ['eck-enterprise-search', ['enterprisesearch.yaml'], ['with-custom-configuration.yaml']],
  ['eck-fleet-server', ['cluster-role-binding.yaml', 'cluster-role.yaml', 'fleet-server.yaml', 'service-account.yaml'], ['fleet-server.yaml']],
  ['eck-kibana', ['ingress.yaml', 'kibana.yaml'], ['http-configuration.yaml', 'ingress/kibana-aks.yaml', 'ingress/kibana-eks.yaml', 'ingress/kibana-gke.yaml']],
  ['eck-logstash', ['logstash.yaml'], ['basic-eck.yaml', 'es-role.yaml', 'monitored.yaml', 'multi.yaml', 'volumes.yaml']],
  ['eck-package-registry', ['epr.yaml'], []],
];

const eckStack: ChartSpec = {
  name: 'eck-stack',
  version: '0.19.0',
  appVersion: '3.3.2',
  templates: ['extra-objects.yaml'],
  files: {
    'Chart.lock': `dependencies:\n${ECK_COMPONENTS.map(([name]) => `- name: ${name}\n  repository: ""\n  version: 0.19.0\n`).join('')}generated: "2024-01-01T00:00:00Z"\n`,
    'README.md': readme('ECK Stack', ['Installing', 'Components', 'Examples']),
    'lint-values.yaml': ECK_COMPONENTS.map(([name]) => `${name}:\n  enabled: true\n`).join(''),
    ...Object.fromEntries(ECK_COMPONENTS.flatMap(([name, , examples]) => examples.slice(0, 1).map((example) => [`examples/${name.slice(4)}/${example}`, kubeManifest('elastic-stack', [name])]))),
  },
  subcharts: ECK_COMPONENTS.map(([name, templates, examples]) => ({
    name,
    version: '0.19.0',
    templates: [...templates, 'extra-objects.yaml'],
    values: documentedSettings(name.replace(/\W/g, ''), 70),
    files: {
      ...(name === 'eck-enterprise-search' ? {} : { LICENSE: 'Synthetic test chart; see the repository licence.\n' }),
      ...Object.fromEntries(examples.map((example) => [`examples/${example}`, kubeManifest('elastic-stack', [name.slice(4)])])),
    },
  })),
};

const elasticStack = built('elastic-stack-0.19.0', 'constraints.dependencies, extra pack.json keys (annotations.commit_msg), an umbrella chart with 10 unpacked subcharts (137 chart files, paths past 100 bytes under a long top folder), presets.yaml', () => ({
  packJson: {
    addonType: 'logging',
    annotations: { commit_msg: 'Elastic Cloud on Kubernetes (ECK) Stack', ...COMMUNITY },
    cloudTypes: ['all'],
    displayName: 'ECK Stack',
    layer: 'addon',
    name: 'elastic-stack',
    version: '0.19.0',
    constraints: {
      dependencies: [
        { packName: 'elastic-operator', minVersion: '3.3.2', maxVersion: '', layer: 'addon', type: 'required' },
        { packName: 'kubernetes', layer: 'k8s', minVersion: '1.29', maxVersion: '', type: 'optional' },
      ],
    },
  },
  values: `pack:\n  namespace: "elastic-stack"\n\ncharts:\n  eck-stack:\n${indent(ECK_COMPONENTS.map(([name]) => `${name}:\n  enabled: ${name === 'eck-elasticsearch' || name === 'eck-kibana'}\n`).join(''), 4)}`,
  readme: readme('ECK Stack', ['Prerequisites', 'Parameters', 'Presets', 'Upgrade', 'Troubleshooting']),
  logo: logoOfAbout(5_800, 'elastic-stack'),
  charts: [{ chart: eckStack, unpacked: true }],
  files: { 'presets.yaml': presetsYaml('Kibana', 'charts.eck-stack.eck-kibana') },
}));

const helloUniverse = built('hello-universe-1.3.1', 'a manifest-only pack with a large logo (about 120 KB of the 125 KB archive), presets.yaml, schema.yaml, a values.yaml that opens with a presets comment', () => ({
  packJson: {
    addonType: 'app services',
    annotations: COMMUNITY,
    cloudTypes: ['all'],
    displayName: 'Hello Universe',
    layer: 'addon',
    name: 'hello-universe',
    version: '1.3.1',
  },
  values: `# spectrocloud.com/enabled-presets: Backend:disable-api\n\npack:\n${contentImages(['ghcr.io/example/hello-universe:1.3.2', 'ghcr.io/example/hello-universe-api:1.1.1'])}\nmanifests:\n  hello-universe:\n    images:\n      hellouniverse: ghcr.io/example/hello-universe:1.3.2\n    apiEnabled: false\n    namespace: hello-universe\n    port: 8080\n    replicas: 1\n`,
  readme: readme('Hello Universe', ['Prerequisites', 'Parameters', 'Presets', 'Usage', 'Architecture', 'Tolerations', 'Database', 'API', 'Upgrade', 'Troubleshooting', 'Terraform', 'References']),
  logo: logoOfAbout(121_000, 'hello-universe'),
  manifests: { 'hello-universe.yaml': kubeManifest('hello-universe', ['hello-universe', 'hello-universe-api']) },
  files: {
    'presets.yaml': presetsYaml('Backend', 'manifests.hello-universe.api'),
    'schema.yaml': schemaYaml([
      ['manifests.hello-universe.namespace', 'string'],
      ['manifests.hello-universe.port', 'number'],
      ['manifests.hello-universe.replicas', 'number'],
      ['manifests.hello-universe.apiEnabled', 'boolean'],
    ]),
  },
}));

/** The tutorial pack, a real pack copied unchanged (Apache-2.0; test/fixtures/packs/SOURCE.md). */
const helloUniversePack: SamplePack = {
  folder: 'hello-universe-pack',
  exercises: 'the real Spectro Cloud tutorial pack, copied unchanged: name "hellouniverse" 1.0.0, four-space indented pack.json, one manifest, a real logo',
  files: once(() => readPackFolder(`${IN_REPO_PACKS_DIR}hello-universe-pack`)),
};

const kubeflowPipelines = built('kubeflow-pipelines-1.5.0', 'the two-part version "1.5" (stored as 1.5.0), six constraints.dependencies, an empty values.yaml, two manifests of about 600 KB of CRDs, no README', () => ({
  packJson: {
    addonType: 'system app',
    annotations: COMMUNITY,
    cloudTypes: ['all'],
    displayName: 'Kubeflow Pipelines',
    layer: 'addon',
    name: 'kubeflow-pipelines',
    version: '1.5',
    constraints: {
      dependencies: k8sDependencies([
        ['kubernetes', '1.21.10'],
        ['kubernetes-aks', '1.21'],
        ['kubernetes-eksd', '1.21.6'],
        ['kubernetes-eks', '1.21'],
        ['kubernetes-konvoy', '1.21.6'],
        ['kubernetes-tke', '1.20.6'],
      ]),
    },
  },
  values: '',
  logo: logoOfAbout(58_000, 'kubeflow-pipelines'),
  manifests: {
    'base_manifests.yaml': Array.from({ length: 30 }, (_, i) => crdManifest('pipelines.kubeflow.org', `Resource${i + 1}`, 60)).join('---\n'),
    'pipelines_manifests.yaml': kubeManifest('kubeflow', Array.from({ length: 60 }, (_, i) => `ml-pipeline-${i + 1}`)),
  },
}));

const kubeviousChart = (appVersion: string): ChartSpec => ({
  name: 'kubevious',
  version: '1.0.10',
  appVersion,
  templates: [
    ...['clusterrole', 'clusterrolebinding', 'deployment', 'service', 'serviceaccount'].map((t) => `backend/${t}.yaml`),
    ...['deployment', 'service', 'serviceaccount'].map((t) => `collector/${t}.yaml`),
    'crds/ChangePackage.yaml',
    'crds/ValidationState.yaml',
    ...['deployment', 'service', 'serviceaccount'].map((t) => `guard/${t}.yaml`),
    'ingress.yaml',
    ...['configmap-db', 'configmap-init-script', 'configmap-mysql-config', 'secret-root', 'secret', 'service', 'serviceaccount', 'statefulset'].map((t) => `mysql/${t}.yaml`),
    ...['clusterrole', 'clusterrolebinding', 'deployment', 'service', 'serviceaccount'].map((t) => `parser/${t}.yaml`),
    ...['configmap-redis-config', 'service', 'serviceaccount', 'statefulset'].map((t) => `redis/${t}.yaml`),
    ...['configmap-caddy', 'deployment', 'service', 'serviceaccount'].map((t) => `ui/${t}.yaml`),
    ...['configmap', 'secret'].map((t) => `worldvious/${t}.yaml`),
  ],
});

const kubevious = built('kubevious-1.0.10', 'constraints.resources (not dependencies), a leftover charts/*.tgz.orig that pack.json does not list, an unpacked chart, presets.yaml, no README', () => ({
  packJson: {
    addonType: 'monitoring',
    annotations: { ingressSupported: 'true', docsURL: 'https://docs.example/integrations/kubevious', ...COMMUNITY },
    cloudTypes: ['all'],
    displayName: 'Kubevious',
    layer: 'addon',
    name: 'kubevious',
    version: '1.0.10',
    constraints: {
      resources: ['cpu', 'memory'].map((type) => ({
        type,
        minLimit: type === 'cpu' ? 512 : 1636,
        components: ['kubevious', 'parser', 'ui', 'mysql'].map((component) => ({
          resourceRequestParamRef: `charts.kubevious.${component}.resources.requests.${type}`,
          ...(component === 'mysql' ? {} : { replicaCountParamRef: `charts.kubevious.${component}.replicaCount` }),
          scheduleType: 'worker',
        })),
      })),
    },
  },
  values: `pack:\n  namespace: "kubevious"\n\ncharts:\n  kubevious:\n${indent(['kubevious', 'parser', 'ui', 'mysql'].map((component) => `${component}:\n  replicaCount: 1\n  resources:\n    requests:\n      cpu: 100m\n      memory: 200Mi\n`).join('') + documentedSettings('kubevious', 50), 4)}`,
  logo: logoOfAbout(2_600, 'kubevious'),
  charts: [{ chart: kubeviousChart('1.0.10'), unpacked: true }],
  files: {
    // The archive as it was before a local edit (the same chart with another appVersion), left behind.
    'charts/kubevious-1.0.10.tgz.orig': chartArchive(kubeviousChart('1.0.9')),
    'presets.yaml': presetsYaml('Ingress', 'charts.kubevious.ingress'),
  },
}));

const nfsSubdirExternal = built('nfs-subdir-external-4.0.13', 'a csi layer named unlike its folder ("csi-nfs-subdir-external"), group and eol "", three cloud types, one manifest, values with kubeadmconfig', () => ({
  packJson: {
    annotations: COMMUNITY,
    cloudTypes: ['maas', 'edge', 'libvirt'],
    displayName: 'NFS Subdir External',
    eol: '',
    group: '',
    layer: 'csi',
    name: 'csi-nfs-subdir-external',
    version: '4.0.13',
  },
  values: 'manifests:\n  nfs:\n    namespace: kube-system\n    # nfs server IP/dns\n    server: 10.0.0.10\n    # nfs server export path\n    path: /mnt/nfs\nkubeadmconfig:\n  preKubeadmCommands:\n  - echo "Executing pre kubeadm config commands to install nfs-common"\n  - apt update\n  - apt install -y nfs-common\n',
  logo: logoOfAbout(3_100, 'nfs'),
  manifests: { 'nfs.yaml': kubeManifest('kube-system', ['nfs-subdir-external-provisioner']) },
}));

const oamAppController = built('oam-app-controller-0.0.3', 'three charts, packed only (no unpacked source), a 20 KB values.yaml listing images and chart sources, schema.yaml', () => {
  const charts: ChartSpec[] = [
    {
      name: 'app-core',
      version: '0.0.3',
      templates: [
        'admission-webhooks/certmanager.yaml',
        ...['clusterrole', 'clusterrolebinding', 'job-createSecret', 'job-patchWebhook', 'role', 'rolebinding', 'serviceaccount'].map((t) => `admission-webhooks/job-patch/${t}.yaml`),
        'admission-webhooks/mutatingWebhookConfiguration.yaml',
        'admission-webhooks/validatingWebhookConfiguration.yaml',
        ...Array.from({ length: 12 }, (_, i) => `crds/app-core-${i + 1}.yaml`),
        'deployment.yaml',
        'service.yaml',
      ],
      values: documentedSettings('appCore', 200),
    },
    { name: 'flux2', version: '2.12.4', values: documentedSettings('flux', 300), templates: ['aggregate-clusterroles.yaml', 'cluster-reconciler-clusterrolebinding.yaml', ...['helm', 'kustomize', 'notification', 'source', 'image-automation', 'image-reflector'].flatMap((c) => [`${c}-controller.yaml`, `${c}-controller-deployment.yaml`, `${c}-controller-service.yaml`, `${c}-controller-serviceaccount.yaml`])] },
    { name: 'zot', version: '0.1.50', templates: ['configmap.yaml', 'deployment.yaml', 'ingress.yaml', 'pvc.yaml', 'service.yaml'], helmignore: false },
  ];
  return {
    packJson: {
      name: 'oam-app-controller',
      displayName: 'OAM App Controller',
      annotations: { description: 'OAM Application Controller', contributor: 'spectrocloud' },
      version: '0.0.3',
      layer: 'addon',
      addonType: 'system app',
      cloudTypes: ['all'],
    },
    values: `pack:\n${contentImages(['quay.io/example/app-core:v0.0.3', 'ghcr.io/example/helm-controller:v0.37.4', 'ghcr.io/example/zot:v2.0.2'])}    charts:\n${charts.map((c) => `      - repo: https://charts.example/${c.name}\n        name: ${c.name}\n        version: ${c.version}\n`).join('')}\ncharts:\n${charts.map((c) => `  ${c.name}:\n${indent(documentedSettings(c.name.replace(/\W/g, ''), 60), 4)}`).join('')}`,
    readme: readme('OAM App Controller', ['Parameters']),
    logo: logoOfAbout(1_800, 'oam'),
    charts: charts.map((chart) => ({ chart })),
    files: { 'schema.yaml': schemaYaml([['pack.namespace', 'string']]) },
  };
});

const outcold = built('outcold-26.04.4', 'the zero-padded calendar version "26.04.4" (stored as 26.4.4), a chart whose archive name differs from its pack name, a .tgz subchart inside the unpacked chart', () => {
  const collectord: ChartSpec = { name: 'collectord', version: '2604.4.0', templates: ['daemonset.yaml', 'clusterrole.yaml', 'clusterrolebinding.yaml', 'serviceaccount.yaml', 'configmap.yaml', 'secret.yaml'] };
  const umbrella: ChartSpec = {
    name: 'collectord-splunk-kubernetes',
    version: '2604.4.0',
    templates: [],
    values: documentedSettings('collectord', 180),
    files: {
      'Chart.lock': 'dependencies:\n- name: collectord\n  repository: file://../collectord\n  version: 2604.4.0\ngenerated: "2024-01-01T00:00:00Z"\n',
      LICENSE: 'Synthetic test chart; see the repository licence.\n',
      'README.md': readme('Collectord for Splunk', ['Install', 'Configuration', 'Licensing']),
      'artifacthub-repo.yml': 'repositoryID: 00000000-0000-0000-0000-000000000000\n',
      'charts/collectord-2604.4.0.tgz': chartArchive(collectord),
    },
  };
  return {
    packJson: {
      addonType: 'monitoring',
      annotations: { docsURL: 'https://docs.example/integrations/collectord', prerequisitesRequired: 'true', ...COMMUNITY },
      cloudTypes: ['all'],
      displayName: 'Outcold Solutions',
      layer: 'addon',
      name: 'outcold-monitoring',
      version: '26.04.4',
      constraints: { dependencies: [{ packName: 'kubernetes', layer: 'k8s', minVersion: '1.29', maxVersion: '', type: 'optional' }] },
    },
    values: `pack:\n  namespace: "collectorforkubernetes"\n\ncharts:\n  collectord-splunk-kubernetes:\n${indent(documentedSettings('splunk', 200), 4)}`,
    readme: readme('Outcold Solutions', ['Prerequisites', 'Splunk configuration', 'Parameters', 'Licensing', 'Upgrade', 'Troubleshooting', 'References']),
    logo: logoOfAbout(8_700, 'outcold'),
    charts: [{ chart: umbrella, unpacked: true }],
  };
});

const permissionManager = built('permission-manager-1.0.0', 'six k8s constraints.dependencies, one manifest, a values.yaml without a final newline', () => ({
  packJson: {
    addonType: 'authentication',
    annotations: { ingressSupported: 'true', docsURL: 'https://docs.example/integrations/permission-manager', ...COMMUNITY },
    cloudTypes: ['all'],
    displayName: 'Permission Manager',
    layer: 'addon',
    name: 'permission-manager',
    version: '1.0.0',
    constraints: {
      dependencies: k8sDependencies([
        ['kubernetes', '1.21.49'],
        ['kubernetes-eksd', '1.21.49'],
        ['kubernetes-tke', '1.20.49'],
        ['kubernetes-eks', '1.21'],
        ['kubernetes-konvoy', '1.21.49'],
        ['kubernetes-aks', '1.21'],
      ]),
    },
  },
  values: 'manifests:\n  permission-manager:\n\n    #Namespace under which permission-manager will be deployed\n    namespace: "permission-manager"\n\n    serviceType: "LoadBalancer"\n\n    ingress:\n      enabled: false\n      hosts:\n        - perm-mgr.example.com\n      tls: []\n      #  - secretName: perm-mgr-tls',
  logo: logoOfAbout(8_600, 'permission-manager'),
  manifests: { 'permission-manager.yaml': kubeManifest('permission-manager', ['permission-manager', 'permission-manager-ui']) },
}));

const tridentOperator = built('trident-operator-23.07.1', 'the zero-padded version "23.07.1" (stored as 23.7.1), a csi layer named "csi-trident", no addonType, an unpacked chart with crds/', () => ({
  packJson: {
    cloudTypes: ['vsphere', 'maas', 'edge-native'],
    annotations: { docsURL: 'https://docs.example/trident', description: 'NetApp Trident' },
    displayName: 'Trident',
    layer: 'csi',
    name: 'csi-trident',
    version: '23.07.1',
  },
  values: `pack:\n${contentImages(['docker.io/example/trident-operator:23.07.1', 'docker.io/example/trident:23.07.1'])}\n  # The namespace (on the target cluster) to install this chart\n  namespace: trident-system\n\ncharts:\n  trident-operator:\n${indent(documentedSettings('trident', 45), 4)}`,
  readme: readme('Trident', ['Prerequisites', 'Parameters', 'Upgrade']),
  logo: logoOfAbout(22_300, 'trident'),
  charts: [
    {
      chart: {
        name: 'trident-operator',
        version: '23.07.1',
        templates: ['clusterrole.yaml', 'clusterrolebinding.yaml', 'cpi.yaml', 'deployment.yaml', 'podsecuritypolicy.yaml', 'secret.yaml', 'serviceaccount.yaml', 'storageclass.yaml', 'tridentbackendconfig.yaml', 'tridentorchestrator.yaml'],
        files: { 'README.md': readme('trident-operator chart', ['Values']), 'crds/tridentorchestrators.yaml': crdManifest('trident.netapp.io', 'TridentOrchestrator', 40) },
      },
      unpacked: true,
    },
  ],
}));

/** One sample per real pack the tests used to read, under the same folder names and pack.json facts. */
export const MIRRORED_SAMPLES: readonly SamplePack[] = [
  akuityAgent,
  antrea,
  elasticStack,
  helloUniverse,
  helloUniversePack,
  kubeflowPipelines,
  kubevious,
  nfsSubdirExternal,
  oamAppController,
  outcold,
  permissionManager,
  tridentOperator,
];

/** Size of the large sample's chart payload: about 5 MB on the wire, a big but ordinary pack. */
export const LARGE_PAYLOAD_BYTES = 5 * 1024 * 1024;

/** Templates in the many-files sample's chart; laid out unpacked too, the pack holds more than 400 files. */
export const MANY_FILES_TEMPLATES = 420;

/** Shapes no single real pack in the corpus has, at the edges tests must cover. */
export const EXTRA_SAMPLES: readonly SamplePack[] = [
  built('large-payload-1.0.0', `a pack of about 5 MB: a chart carrying ${LARGE_PAYLOAD_BYTES} incompressible bytes (built on first use)`, () => ({
    packJson: { name: 'large-payload', displayName: 'Large Payload', version: '1.0.0', layer: 'addon', addonType: 'system app', cloudTypes: ['all'] },
    values: 'pack:\n  namespace: large-payload\n\ncharts:\n  bundled-binaries:\n    enabled: true\n',
    readme: readme('Large Payload', ['Why it is large']),
    logo: pngImage({ width: 32, height: 32, fill: 'gradient' }),
    charts: [{ chart: { name: 'bundled-binaries', version: '1.0.0', templates: ['daemonset.yaml'], payloadBytes: LARGE_PAYLOAD_BYTES } }],
  })),
  built('many-files-1.0.0', `more than 400 files: a chart of ${MANY_FILES_TEMPLATES} dashboard templates, packed and unpacked`, () => ({
    packJson: { name: 'many-dashboards', displayName: 'Many Dashboards', version: '1.0.0', layer: 'addon', addonType: 'monitoring', cloudTypes: ['all'] },
    values: 'pack:\n  namespace: monitoring\n\ncharts:\n  dashboards:\n    enabled: true\n',
    charts: [
      {
        chart: { name: 'dashboards', version: '1.0.0', templates: Array.from({ length: MANY_FILES_TEMPLATES }, (_, i) => `dashboards/dashboard-${String(i + 1).padStart(3, '0')}-configmap.yaml`) },
        unpacked: true,
      },
    ],
  })),
  built('logo-and-docs-2.0', 'every optional file at once: a 64×64 gradient logo.png to decode, README.md, schema.yaml, presets.yaml, an empty charts/ kept by .gitkeep, a loose version "2.0"', () => ({
    packJson: { name: 'logo-and-docs', displayName: 'Logo and Docs', version: '2.0', layer: 'addon', addonType: 'app services', cloudTypes: ['all'], group: '' },
    values: 'pack:\n  namespace: docs\n\nmanifests:\n  docs-site:\n    replicas: 1\n',
    readme: readme('Logo and Docs', ['Overview', 'Parameters']),
    logo: pngImage({ width: 64, height: 64, fill: 'gradient' }),
    manifests: { 'docs-site.yaml': kubeManifest('docs', ['docs-site']) },
    files: {
      'charts/.gitkeep': '',
      'presets.yaml': presetsYaml('Site', 'manifests.docs-site.ingress'),
      'schema.yaml': schemaYaml([['manifests.docs-site.replicas', 'number']]),
    },
  })),
];

const BY_FOLDER = new Map([...MIRRORED_SAMPLES, ...EXTRA_SAMPLES].map((sample) => [sample.folder, sample]));

export function samplePack(folder: string): SamplePack {
  const sample = BY_FOLDER.get(folder);
  if (!sample) throw new Error(`no sample pack ${JSON.stringify(folder)}; known: ${[...BY_FOLDER.keys()].join(', ')}`);
  return sample;
}
