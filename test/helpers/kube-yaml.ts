// The text files of sample packs, written the way real charts and manifests are: Helm templates with
// `{{ }}` expressions, multi-document Kubernetes manifests, CRDs with long OpenAPI schemas, Chart.yaml,
// .helmignore, NOTES.txt, README.md. Only their shape matters to the registry (it never renders them),
// but realistic text keeps sizes, compression ratios and path depths close to what real packs send.
import { pseudoRandomBytes } from './pseudo-random.js';

const VOCABULARY = (
  'the a an of to in for on with by from when if unless each every this that which is are be set sets enables disables ' +
  'controller agent node pod pods cluster namespace service endpoint port image tag registry volume secret certificate ' +
  'resource limit request memory cpu replica replicas label annotation selector toleration affinity probe timeout ' +
  'interval retry default value field object list string number boolean optional required deprecated ignored used ' +
  'traffic tunnel encapsulation policy rule egress ingress network storage backend frontend database cache metrics ' +
  'logging level verbose format path file directory mount host address range subnet prefix route gateway webhook ' +
  'schema version upgrade install chart release template override configures controls specifies determines allows'
).split(' ');

/**
 * `words` words of pseudo-random prose from `seed`: it compresses about as well as real documentation
 * (a few times), where repeated boilerplate would shrink twentyfold and make every sample tiny on the wire.
 */
export function prose(seed: string, words: number): string {
  const picks = pseudoRandomBytes(seed, words * 2);
  const chosen = Array.from({ length: words }, (_, i) => VOCABULARY[picks.readUInt16BE(i * 2) % VOCABULARY.length] ?? 'value');
  return `${chosen.join(' ').replace(/^./, (first) => first.toUpperCase())}.`;
}

/** The resource kind a template file name suggests, as chart authors name them. */
function kindOf(path: string): string {
  const base = (path.split('/').pop() ?? path).replace(/\.ya?ml$/, '').toLowerCase();
  const kinds: [RegExp, string][] = [
    [/clusterrolebinding|cluster-role-binding/, 'ClusterRoleBinding'],
    [/clusterrole|cluster-role/, 'ClusterRole'],
    [/rolebinding/, 'RoleBinding'],
    [/serviceaccount|service-account/, 'ServiceAccount'],
    [/service$/, 'Service'],
    [/daemonset/, 'DaemonSet'],
    [/statefulset/, 'StatefulSet'],
    [/deployment/, 'Deployment'],
    [/job/, 'Job'],
    [/secret/, 'Secret'],
    [/ingress/, 'Ingress'],
    [/pvc/, 'PersistentVolumeClaim'],
    [/storageclass/, 'StorageClass'],
    [/apiservice/, 'APIService'],
    [/mutat/, 'MutatingWebhookConfiguration'],
    [/validat/, 'ValidatingWebhookConfiguration'],
  ];
  return kinds.find(([pattern]) => pattern.test(base))?.[1] ?? 'ConfigMap';
}

/** A name for the template's resource, distinct per file: `agent/daemonset.yaml` → `agent-daemonset`. */
function componentOf(path: string): string {
  return path.replace(/\.ya?ml$/, '').replaceAll('/', '-');
}

function podSpec(chart: string, image: string, indent: string): string {
  return [
    `${indent}serviceAccountName: {{ include "${chart}.serviceAccountName" . }}`,
    `${indent}{{- with .Values.nodeSelector }}`,
    `${indent}nodeSelector:`,
    `${indent}  {{- toYaml . | nindent 8 }}`,
    `${indent}{{- end }}`,
    `${indent}containers:`,
    `${indent}  - name: {{ .Chart.Name }}`,
    `${indent}    image: "${image}:{{ .Values.image.tag | default .Chart.AppVersion }}"`,
    `${indent}    imagePullPolicy: {{ .Values.image.pullPolicy }}`,
    `${indent}    args:`,
    `${indent}      - --log-level={{ .Values.logLevel }}`,
    `${indent}      - --metrics-bind-address=:8080`,
    `${indent}    ports:`,
    `${indent}      - name: http`,
    `${indent}        containerPort: 8080`,
    `${indent}        protocol: TCP`,
    `${indent}    livenessProbe:`,
    `${indent}      httpGet:`,
    `${indent}        path: /healthz`,
    `${indent}        port: http`,
    `${indent}    resources:`,
    `${indent}      {{- toYaml .Values.resources | nindent 12 }}`,
  ].join('\n');
}

/** A Helm template for `path` inside chart `chart`: a resource of the kind its name suggests. */
export function helmTemplate(chart: string, path: string): string {
  const kind = kindOf(path);
  const component = componentOf(path);
  // Values keys are camelCase: Helm's `.Values.a.b` cannot reach a key with a dash in it.
  const valuesKey = component.replace(/[^A-Za-z0-9]+(\w)/g, (_match, letter: string) => letter.toUpperCase());
  const head = [
    '{{- if .Values.enabled }}',
    `apiVersion: ${kind.includes('Role') ? 'rbac.authorization.k8s.io/v1' : /Deployment|DaemonSet|StatefulSet/.test(kind) ? 'apps/v1' : 'v1'}`,
    `kind: ${kind}`,
    'metadata:',
    `  name: {{ include "${chart}.fullname" . }}-${component}`,
    ...(kind.startsWith('Cluster') || kind === 'StorageClass' ? [] : ['  namespace: {{ .Release.Namespace }}']),
    '  labels:',
    `    {{- include "${chart}.labels" . | nindent 4 }}`,
    `    app.kubernetes.io/component: ${component}`,
  ];
  let body: string[];
  switch (kind) {
    case 'Deployment':
    case 'DaemonSet':
    case 'StatefulSet':
      body = [
        'spec:',
        ...(kind === 'DaemonSet' ? [] : ['  replicas: {{ .Values.replicaCount }}']),
        '  selector:',
        '    matchLabels:',
        `      {{- include "${chart}.selectorLabels" . | nindent 6 }}`,
        '  template:',
        '    metadata:',
        '      labels:',
        `        {{- include "${chart}.selectorLabels" . | nindent 8 }}`,
        '    spec:',
        podSpec(chart, `ghcr.io/example/${chart}-${component}`, '      '),
      ];
      break;
    case 'ClusterRole':
      body = ['rules:', ...['pods', 'services', 'configmaps', 'secrets', 'nodes'].flatMap((resource) => ['  - apiGroups: [""]', `    resources: ["${resource}"]`, '    verbs: ["get", "list", "watch"]'])];
      break;
    case 'ClusterRoleBinding':
    case 'RoleBinding':
      body = [
        'roleRef:',
        '  apiGroup: rbac.authorization.k8s.io',
        `  kind: ${kind.replace('Binding', '')}`,
        `  name: {{ include "${chart}.fullname" . }}-${component}`,
        'subjects:',
        '  - kind: ServiceAccount',
        `    name: {{ include "${chart}.serviceAccountName" . }}`,
        '    namespace: {{ .Release.Namespace }}',
      ];
      break;
    case 'Service':
      body = ['spec:', '  type: {{ .Values.service.type }}', '  ports:', '    - port: {{ .Values.service.port }}', '      targetPort: http', '      name: http', '  selector:', `    {{- include "${chart}.selectorLabels" . | nindent 4 }}`];
      break;
    case 'Secret':
      body = ['type: Opaque', 'data:', `  token: {{ .Values.${valuesKey}.token | default (randAlphaNum 32) | b64enc | quote }}`];
      break;
    case 'ServiceAccount':
      body = ['{{- with .Values.serviceAccount.annotations }}', 'annotations:', '  {{- toYaml . | nindent 4 }}', '{{- end }}'];
      break;
    default:
      body = ['data:', `  ${component}.conf: |`, ...Array.from({ length: 12 }, (_, i) => `    # setting ${i + 1} of ${component}\n    ${valuesKey}Option${i + 1}: {{ .Values.${valuesKey}.option${i + 1} | default "value-${i + 1}" | quote }}`)];
  }
  return [...head, ...body, '{{- end }}', ''].join('\n');
}

/** A CustomResourceDefinition with an OpenAPI schema of `properties` fields (CRDs are most of a chart's bytes). */
export function crdManifest(group: string, kind: string, properties = 20): string {
  const plural = `${kind.toLowerCase()}s`;
  const fields = Array.from({ length: properties }, (_, i) =>
    [
      `                field${i + 1}:`,
      `                  description: ${prose(`${group}/${kind}/${i}`, 18)}`,
      `                  type: ${['string', 'integer', 'boolean', 'object'][i % 4]}`,
    ].join('\n'),
  );
  return [
    'apiVersion: apiextensions.k8s.io/v1',
    'kind: CustomResourceDefinition',
    'metadata:',
    `  name: ${plural}.${group}`,
    'spec:',
    `  group: ${group}`,
    '  names:',
    `    kind: ${kind}`,
    `    listKind: ${kind}List`,
    `    plural: ${plural}`,
    `    singular: ${kind.toLowerCase()}`,
    '  scope: Namespaced',
    '  versions:',
    '    - name: v1',
    '      served: true',
    '      storage: true',
    '      schema:',
    '        openAPIV3Schema:',
    '          type: object',
    '          properties:',
    '            spec:',
    '              type: object',
    '              properties:',
    ...fields,
    '',
  ].join('\n');
}

/** A plain (not templated) multi-document manifest: namespace, service account, deployment and service per app. */
export function kubeManifest(namespace: string, apps: string[]): string {
  const documents = [`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${namespace}\n`];
  for (const app of apps) {
    documents.push(`apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${app}\n  namespace: ${namespace}\n`);
    documents.push(
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        `  name: ${app}`,
        `  namespace: ${namespace}`,
        'spec:',
        '  replicas: 1',
        '  selector:',
        '    matchLabels:',
        `      app: ${app}`,
        '  template:',
        '    metadata:',
        '      labels:',
        `        app: ${app}`,
        '    spec:',
        `      serviceAccountName: ${app}`,
        '      containers:',
        `        - name: ${app}`,
        `          image: ghcr.io/example/${app}:1.0.0`,
        '          ports:',
        '            - containerPort: 8080',
        '          env:',
        '            - name: NAMESPACE',
        '              valueFrom:',
        '                fieldRef:',
        '                  fieldPath: metadata.namespace',
        '',
      ].join('\n'),
    );
    documents.push(`apiVersion: v1\nkind: Service\nmetadata:\n  name: ${app}\n  namespace: ${namespace}\nspec:\n  selector:\n    app: ${app}\n  ports:\n    - port: 80\n      targetPort: 8080\n`);
  }
  return documents.join('---\n');
}

export function chartYaml(name: string, version: string, appVersion: string, dependencies: string[] = []): string {
  const lines = ['apiVersion: v2', `name: ${name}`, `description: A Helm chart for ${name}`, 'type: application', `version: ${version}`, `appVersion: "${appVersion}"`];
  if (dependencies.length > 0) {
    lines.push('dependencies:', ...dependencies.flatMap((dep) => [`  - name: ${dep}`, `    version: ${version}`, `    condition: ${dep}.enabled`]));
  }
  return `${lines.join('\n')}\n`;
}

/** Helm's default .helmignore, as `helm create` writes it. */
export const HELMIGNORE = [
  '# Patterns to ignore when building packages.',
  '# This supports shell glob matching, relative path matching, and',
  '# negation (prefixed with !). Only one pattern per line.',
  '.DS_Store',
  '# Common VCS dirs',
  '.git/',
  '.gitignore',
  '*.swp',
  '*.bak',
  '*.tmp',
  '*.orig',
  '*~',
  '# Various IDEs',
  '.project',
  '.idea/',
  '*.tmproj',
  '.vscode/',
  '',
].join('\n');

export function helpersTpl(chart: string): string {
  return [
    `{{- define "${chart}.name" -}}`,
    '{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}',
    '{{- end }}',
    '',
    `{{- define "${chart}.fullname" -}}`,
    '{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}',
    '{{- end }}',
    '',
    `{{- define "${chart}.labels" -}}`,
    'helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}',
    `{{ include "${chart}.selectorLabels" . }}`,
    'app.kubernetes.io/managed-by: {{ .Release.Service }}',
    '{{- end }}',
    '',
    `{{- define "${chart}.selectorLabels" -}}`,
    `app.kubernetes.io/name: {{ include "${chart}.name" . }}`,
    'app.kubernetes.io/instance: {{ .Release.Name }}',
    '{{- end }}',
    '',
    `{{- define "${chart}.serviceAccountName" -}}`,
    `{{- default (include "${chart}.fullname" .) .Values.serviceAccount.name }}`,
    '{{- end }}',
    '',
  ].join('\n');
}

export function notesTxt(chart: string): string {
  return `${chart} is installed in namespace {{ .Release.Namespace }}.\n\nCheck its pods with:\n  kubectl get pods -n {{ .Release.Namespace }} -l app.kubernetes.io/instance={{ .Release.Name }}\n`;
}

/** A chart's own values.yaml: one documented block per component, in the helm-docs comment style. */
export function chartValuesYaml(chart: string, components: string[]): string {
  const lines = ['enabled: true', 'replicaCount: 1', 'logLevel: info', 'image:', '  pullPolicy: IfNotPresent', '  tag: ""', 'serviceAccount:', '  create: true', '  annotations: {}', 'service:', '  type: ClusterIP', '  port: 80', 'resources: {}', 'nodeSelector: {}'];
  for (const component of components) {
    lines.push(`# -- ${prose(`${chart}/${component}`, 40)}`, `${component}:`, `  # -- ${prose(`${chart}/${component}/enabled`, 20)}`, '  enabled: true', '  resources:', '    requests:', '      cpu: 100m', '      memory: 128Mi');
  }
  return `${lines.join('\n')}\n`;
}

/** A README of `sections` headed paragraphs, the way pack READMEs document their parameters. */
export function readme(title: string, sections: string[]): string {
  const body = sections.map(
    (section) =>
      `## ${section}\n\n${prose(`${title}/${section}`, 90)}\n\n| Parameter | Description | Default |\n|---|---|---|\n| \`${section.toLowerCase().replace(/\s+/g, '.')}\` | ${section} setting | \`""\` |\n`,
  );
  return `# ${title}\n\n${body.join('\n')}`;
}
