# external.bash: an OpenAI-compatible server on 127.0.0.1 put behind the
# sandbox gateway as an ExternalModel, for bats tests (needs sandbox.bash).

# sandbox_external NAME PORT [LIMIT]: an ExternalModel NAME (namespace ext) at
# http://127.0.0.1:PORT serving gpt-4o-mini with key sk-provider-secret,
# governed for every authenticated user with LIMIT (default 30) tokens a
# minute.
sandbox_external() {
	maasctl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: ext}
---
apiVersion: v1
kind: Secret
metadata: {name: provider-key, namespace: ext}
stringData: {api-key: sk-provider-secret}
---
apiVersion: maas.opendatahub.io/v1alpha1
kind: ExternalModel
metadata:
  name: $1
  namespace: ext
  annotations: {maas.opendatahub.io/tls: "false", maas.opendatahub.io/port: "$2"}
spec: {provider: openai, endpoint: 127.0.0.1, targetModel: gpt-4o-mini, credentialRef: {name: provider-key}}
---
apiVersion: maas.opendatahub.io/v1alpha1
kind: MaaSModelRef
metadata: {name: $1, namespace: ext}
spec: {modelRef: {kind: ExternalModel, name: $1}}
---
apiVersion: maas.opendatahub.io/v1alpha1
kind: MaaSAuthPolicy
metadata: {name: $1-access, namespace: models-as-a-service}
spec: {modelRefs: [{name: $1, namespace: ext}], subjects: {groups: [{name: "system:authenticated"}]}}
---
apiVersion: maas.opendatahub.io/v1alpha1
kind: MaaSSubscription
metadata: {name: $1-sub, namespace: models-as-a-service}
spec: {owner: {groups: [{name: "system:authenticated"}]}, modelRefs: [{name: $1, namespace: ext, tokenRateLimits: [{limit: ${3:-30}, window: 1m}]}]}
EOF
}
