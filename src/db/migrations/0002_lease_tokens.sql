ALTER TABLE "environments" ADD COLUMN "comment_requested_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "lease_token" uuid;