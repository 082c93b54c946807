"""Pure builders of IAM, KMS, S3 and endpoint policy documents (no Pulumi import)."""
