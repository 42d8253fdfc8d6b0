ALTER TABLE "repos" ADD COLUMN "config_checked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "repos" ADD COLUMN "config_checked_ref" text;--> statement-breakpoint
ALTER TABLE "repos" ADD COLUMN "config_checked_pr" integer;--> statement-breakpoint
ALTER TABLE "repos" ADD COLUMN "config_check_outcome" text;--> statement-breakpoint
ALTER TABLE "repos" ADD COLUMN "config_check_error" text;