ALTER TABLE "environments" ADD COLUMN "label_shas" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "comment_approval" jsonb;--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "comment_command" jsonb;