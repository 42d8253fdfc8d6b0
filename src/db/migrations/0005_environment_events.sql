CREATE TABLE "environment_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"environment_id" uuid NOT NULL,
	"time" timestamp with time zone DEFAULT now() NOT NULL,
	"type" text NOT NULL,
	"reason" text NOT NULL,
	"message" text NOT NULL,
	"details" jsonb
);
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "repo_full_name" text;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "pr_number" integer;--> statement-breakpoint
ALTER TABLE "environment_events" ADD CONSTRAINT "environment_events_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "environment_events_environment_idx" ON "environment_events" USING btree ("environment_id","id");--> statement-breakpoint
CREATE INDEX "environment_events_time_idx" ON "environment_events" USING btree ("time");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_pull_idx" ON "webhook_deliveries" USING btree (lower("repo_full_name"),"pr_number","received_at");